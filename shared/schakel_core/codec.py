"""msgpack encode/decode with the wire's limits: bytes in, plain values out.

Decoding refuses anything that is not one msgpack map with string keys, at every depth
(a ``bin`` key, or any ``bin`` or ext value, is malformed: the protocol uses neither);
floats are decoded as Python floats (NaN and infinities are refused later, by the schema).
"""

from __future__ import annotations

from typing import Any

import msgpack

from .errors import FrameTooLarge, Malformed
from .schema import MAX_FRAME_BYTES

_packer_options: dict[str, Any] = {"use_bin_type": True, "datetime": False}


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


_OPS_HEAD = b"\xa1t\xa3ops"  # a map's first key and value: "t": "ops"


def unpack_ops(data: bytes) -> tuple[dict[str, Any], list[bytes]] | None:
    """An ``ops`` message decoded in one pass, with the bytes of each op as they came,
    so that the hub forwards them without packing them again. None when the frame is not
    a plain map that begins with ``"t": "ops"`` and decodes cleanly: then :func:`unpack`
    decodes it (and names what is wrong with it)."""
    if len(data) < 8 or data[1:7] != _OPS_HEAD or not 0x80 <= data[0] <= 0x8F:
        return None
    if len(data) > MAX_FRAME_BYTES:
        return None
    unpacker = _unpacker(data)
    out: dict[str, Any] = {}
    raws: list[bytes] | None = None
    try:
        for _ in range(unpacker.read_map_header()):
            key = unpacker.unpack()
            if type(key) is not str or key in out:
                return None
            if key != "ops":
                out[key] = unpacker.unpack()
                continue
            values: list[Any] = []
            raws = []
            for _ in range(unpacker.read_array_header()):
                start = unpacker.tell()
                values.append(unpacker.unpack())
                raws.append(data[start : unpacker.tell()])
            out[key] = values
        if unpacker.tell() != len(data) or raws is None:
            return None
    except Exception:  # (msgpack's errors: the slow path names them)
        return None
    return out, raws


def unpack_value(data: bytes) -> Any:
    """Any one msgpack value the hub itself packed (a stored op): no limits, no checks."""
    return msgpack.unpackb(data, raw=False, use_list=True, strict_map_key=True)


def _unpacker(data: bytes) -> msgpack.Unpacker:
    """A streaming decoder of ``data`` with the wire's rules (as :func:`unpack`)."""
    unpacker = msgpack.Unpacker(
        raw=False,
        use_list=True,
        strict_map_key=True,
        max_bin_len=0,
        max_ext_len=0,
        max_buffer_size=max(len(data), 1024),
    )
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
        value = msgpack.unpackb(
            data,
            raw=False,
            use_list=True,
            strict_map_key=True,  # str or bin keys only; bin is refused below
            max_bin_len=0,
            max_ext_len=0,
        )
    except (ValueError, TypeError):  # msgpack's errors (ExtraData, FormatError...) too
        raise Malformed("the frame is not one valid msgpack value") from None
    if type(value) is not dict:
        raise Malformed("a message is a msgpack map")
    return value
