"""msgpack encode/decode with the wire's limits: bytes in, plain values out.

Decoding refuses anything that is not one msgpack map with string keys, at every depth
(a ``bin`` key, or any ``bin`` or ext value, is malformed: the protocol uses neither);
floats are decoded as Python floats (NaN and infinities are refused later, by the schema).
"""

from __future__ import annotations

from typing import Any

import msgpack
import msgspec

from .errors import FrameTooLarge, Malformed
from .schema import MAX_FRAME_BYTES

_packer_options: dict[str, Any] = {"use_bin_type": True, "datetime": False}
# What the wire allows: str keys only (bin keys are refused with every bin), no bin or
# ext values, arrays as lists.
_wire_rules: dict[str, Any] = {
    "raw": False,
    "use_list": True,
    "strict_map_key": True,  # str or bin keys only; bin is refused by max_bin_len
    "max_bin_len": 0,
    "max_ext_len": 0,
}


def pack(value: Any) -> bytes:
    """Encode a message map; raises TypeError on values msgpack cannot hold."""
    data: bytes = msgpack.packb(value, **_packer_options)
    return data


def pack_map(items: dict[str, Any], packed: dict[str, bytes] | None = None) -> bytes:
    """A map whose ``items`` are packed here and whose ``packed`` values are msgpack
    already (so that what many frames share is packed once, and what is only forwarded
    is never decoded). The result decodes like ``pack({**items, **decoded packed})``."""
    packed = packed or {}
    packer = msgpack.Packer(**_packer_options)
    out = [packer.pack_map_header(len(items) + len(packed))]
    for key, value in items.items():
        out.append(packer.pack(key))
        out.append(packer.pack(value))
    for key, raw in packed.items():
        out.append(packer.pack(key))
        out.append(raw)
    return b"".join(out)


def pack_array(parts: list[bytes]) -> bytes:
    """An array of values that are msgpack already."""
    header: bytes = msgpack.Packer(**_packer_options).pack_array_header(len(parts))
    return header + b"".join(parts)


_OPS_HEAD = b"\x84\xa1t\xa3ops"  # a map of four entries whose first is "t": "ops"


class _OpsFrame(msgspec.Struct, forbid_unknown_fields=True):
    """An ``ops`` message as the one-pass decode takes it: exactly these four keys (the
    map header says four and all four are required, so none comes twice), each op left
    as the bytes it came in."""

    t: str
    board: str
    ref: int
    ops: list[msgspec.Raw]


_ops_frame = msgspec.msgpack.Decoder(_OpsFrame)


def unpack_ops(data: bytes) -> tuple[dict[str, Any], list[bytes]] | None:
    """An ``ops`` message decoded in one pass, with the bytes of each op as they came,
    so that the hub forwards them without packing them again. None when the frame is not
    a map of exactly ``t`` (first, ``"ops"``), ``board`` (a string), ``ref`` (an integer)
    and ``ops`` (an array), each op decoding cleanly by the wire's rules: then
    :func:`unpack` decodes it (and names what is wrong with it).

    msgspec reads the map in C, and leaves each op as a slice of ``data``
    (``msgspec.Raw``); each op is then decoded by the same rules as :func:`unpack`."""
    if len(data) < 8 or data[:7] != _OPS_HEAD or len(data) > MAX_FRAME_BYTES:
        return None
    try:
        frame = _ops_frame.decode(data)
        raws = [bytes(raw) for raw in frame.ops]
        values = [msgpack.unpackb(raw, **_wire_rules) for raw in raws]
    except (msgspec.MsgspecError, RecursionError, ValueError, TypeError):
        return None  # (RecursionError: msgspec, nesting past Python's limit; msgpack's too)
    # (frame.t is "ops": the head says so, and no key comes twice in four required ones)
    return {"t": "ops", "board": frame.board, "ref": frame.ref, "ops": values}, raws


def unpack_value(data: bytes) -> Any:
    """Any one msgpack value the hub itself packed (a stored op): no limits, no checks."""
    return msgpack.unpackb(data, raw=False, use_list=True, strict_map_key=True)


def _unpacker(data: bytes) -> msgpack.Unpacker:
    """A streaming decoder of ``data`` with the wire's rules (as :func:`unpack`)."""
    unpacker = msgpack.Unpacker(**_wire_rules, max_buffer_size=max(len(data), 1024))
    unpacker.feed(data)
    return unpacker


def unpack_all(data: bytes) -> list[dict[str, Any]]:
    """Decode a hub frame: one or more maps back to back (protocol v2), or raise
    Malformed. No size cap (hub frames have none); the same rules as :func:`unpack`."""
    unpacker = _unpacker(data)
    out: list[dict[str, Any]] = []
    end = 0  # where the last whole value ends
    try:
        for value in unpacker:
            if type(value) is not dict:
                raise Malformed("a message is a msgpack map")
            out.append(value)
            end = unpacker.tell()
    except (ValueError, TypeError):
        raise Malformed("the frame is not a sequence of valid msgpack values") from None
    if not out or end != len(data):  # (a value cut off at the end)
        raise Malformed("the frame is not a sequence of whole msgpack values")
    return out


def unpack(data: bytes, limit: int | None = MAX_FRAME_BYTES) -> dict[str, Any]:
    """Decode one frame into a map with string keys, or raise Malformed.

    ``limit`` caps what a client may send; frames from the hub have no fixed cap (a full
    ``sync`` carries a whole board), so clients decode them with ``limit=None``.
    """
    if limit is not None and len(data) > limit:
        raise FrameTooLarge(f"a frame holds at most {limit} bytes")
    try:
        value = msgpack.unpackb(data, **_wire_rules)
    except (ValueError, TypeError):  # msgpack's errors (ExtraData, FormatError...) too
        raise Malformed("the frame is not one valid msgpack value") from None
    if type(value) is not dict:
        raise Malformed("a message is a msgpack map")
    return value
