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
