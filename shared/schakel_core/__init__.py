"""Schakel's pure core: the contract between hub and clients.

No I/O lives here (no asyncio, no sockets, no Redis): the board schema
(:mod:`.schema`), ops and their clocks (:mod:`.ops`), the document and its merge rule
(:mod:`.document`), message types (:mod:`.messages`), the codec (:mod:`.codec`), errors
(:mod:`.errors`), and workshops with their access rules (:mod:`.workshop`).
"""

from .document import Document, Register
from .ops import Op, op_from_wire

__all__ = ["Document", "Op", "Register", "op_from_wire"]
