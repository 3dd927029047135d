"""Message types of the Schakel protocol: typed values with validation and encode/decode.

A message is one msgpack map whose ``t`` names the type. A client frame holds exactly one
message; a hub frame one or more, back to back (protocol version 2).
Client → hub: ``hello subscribe unsubscribe ops presence ping control``.
Hub → client: ``welcome sync update ack presence leave error pong workshop done``.
PROTOCOL.md documents every field; :func:`decode_client`, :func:`decode_server` (one
message) and :func:`decode_frame` (a hub frame) are the only ways in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeAlias

import msgspec

from . import codec
from .errors import InvalidMessage, RequestError, TooLarge, UnknownMessage, VersionMismatch
from .ops import Op, op_from_wire
from .schema import (
    COLOUR_PATTERN,
    ID_PATTERN,
    MAX_COORD,
    MAX_FRAME_BYTES,
    MAX_OPS_PER_BATCH,
    MAX_SELECTION,
    MAX_STROKE_NUMBERS,
    PROTOCOL_VERSION,
    check_id,
    is_colour,
    is_id,
)

MAX_TOKEN_LEN = 2048
MAX_NAME_LEN = 40
MAX_REASON_LEN = 500
MAX_REF = 2**53 - 1
VERSION_MISMATCH_REASON = f"this hub speaks protocol version {PROTOCOL_VERSION}: reload"


# ---------------------------------------------------------------------------- helpers


def _get(
    m: dict[str, Any], key: str, kind: type | tuple[type, ...], *, optional: bool = False
) -> Any:
    if key not in m:
        if optional:
            return None
        raise InvalidMessage(f"{m.get('t')!s}: field {key!r} is missing")
    value = m[key]
    if optional and value is None:
        return None
    # bool is an int in Python; the protocol keeps them apart.
    if type(value) is bool and kind is not bool:
        raise InvalidMessage(f"{m.get('t')!s}: field {key!r} has the wrong type")
    if not isinstance(value, kind):
        raise InvalidMessage(f"{m.get('t')!s}: field {key!r} has the wrong type")
    return value


def _int(m: dict[str, Any], key: str, *, optional: bool = False, lo: int = 0) -> Any:
    value = m.get(key)
    if type(value) is int and lo <= value <= MAX_REF:  # the common case, checked once
        return value
    value = _get(m, key, int, optional=optional)
    if value is not None and not lo <= value <= MAX_REF:
        raise InvalidMessage(f"{m.get('t')!s}: field {key!r} must be {lo}..{MAX_REF}")
    return value


def _str(m: dict[str, Any], key: str, max_len: int, *, optional: bool = False) -> Any:
    value = _get(m, key, str, optional=optional)
    if value is not None and len(value) > max_len:
        raise TooLarge(f"{m.get('t')!s}: field {key!r} is longer than {max_len}")
    return value


def _board(m: dict[str, Any]) -> str:
    board = m.get("board")
    if is_id(board):  # the common case; any other names what is wrong below
        return board
    try:
        return check_id(_get(m, "board", str), "board")
    except RequestError as exc:
        raise InvalidMessage(exc.reason) from None


def _finite(v: Any) -> bool:
    t = type(v)
    return t is int or (t is float and math.isfinite(v) and abs(v) <= MAX_COORD)


# ------------------------------------------------------------------- client to hub


@dataclass(frozen=True, slots=True)
class Hello:
    """First message of a connection: the protocol version, a token, a client id."""

    token: str
    client: str
    name: str = ""
    v: int = PROTOCOL_VERSION
    t = "hello"

    @classmethod
    def from_map(cls, m: dict[str, Any]) -> Hello:
        v = m.get("v")
        if type(v) is not int or v != PROTOCOL_VERSION:  # checked before anything else
            raise VersionMismatch(VERSION_MISMATCH_REASON)
        token = _str(m, "token", MAX_TOKEN_LEN)
        try:
            client = check_id(_get(m, "client", str), "client")
        except RequestError as exc:
            raise InvalidMessage(exc.reason) from None
        name = _str(m, "name", MAX_NAME_LEN, optional=True) or ""
        return cls(token=token, client=client, name=name, v=v)

    def to_map(self) -> dict[str, Any]:
        return {
            "t": self.t,
            "v": self.v,
            "token": self.token,
            "client": self.client,
            "name": self.name,
        }


@dataclass(frozen=True, slots=True)
class Subscribe:
    """Follow a board from sequence number ``since`` (0: from the start)."""

    board: str
    since: int = 0
    ref: int | None = None
    t = "subscribe"

    @classmethod
    def from_map(cls, m: dict[str, Any]) -> Subscribe:
        return cls(board=_board(m), since=_int(m, "since"), ref=_int(m, "ref", optional=True))

    def to_map(self) -> dict[str, Any]:
        return {"t": self.t, "board": self.board, "since": self.since, "ref": self.ref}


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    board: str
    t = "unsubscribe"

    @classmethod
    def from_map(cls, m: dict[str, Any]) -> Unsubscribe:
        return cls(board=_board(m))

    def to_map(self) -> dict[str, Any]:
        return {"t": self.t, "board": self.board}


@dataclass(frozen=True, slots=True)
class Ops:
    """A batch of ops for one board; ``ref`` is echoed in the ack or error."""

    board: str
    ref: int
    ops: list[Op]
    # the msgpack bytes of each op as it came (decoded by the hub), else empty
    packed: list[bytes] = field(default_factory=list, compare=False, repr=False)
    t = "ops"

    @classmethod
    def from_map(cls, m: dict[str, Any], packed: list[bytes] | None = None) -> Ops:
        ref = _int(m, "ref")
        try:
            board = _board(m)
            raw = _get(m, "ops", list)
            if not raw:
                raise InvalidMessage("ops: the batch is empty")
            if len(raw) > MAX_OPS_PER_BATCH:
                raise TooLarge(f"ops: a batch holds at most {MAX_OPS_PER_BATCH} ops")
            ops = [op_from_wire(raw[0])] if len(raw) == 1 else [op_from_wire(op) for op in raw]
        except RequestError as exc:
            exc.ref = ref
            raise
        return cls(board=board, ref=ref, ops=ops, packed=packed or [])

    def to_map(self) -> dict[str, Any]:
        return {
            "t": self.t,
            "board": self.board,
            "ref": self.ref,
            "ops": [list(o) for o in self.ops],
        }


_PRESENCE_KEYS = frozenset({"cursor", "sel", "stroke", "colour"})


def check_presence_data(data: Any) -> dict[str, Any]:
    """Validate presence: ``cursor`` [x, y] or nil, ``sel`` ids, ``stroke`` numbers or nil."""
    if type(data) is not dict:
        raise InvalidMessage("presence: data must be a map")
    if not _PRESENCE_KEYS.issuperset(data):
        unknown = set(data) - _PRESENCE_KEYS
        raise InvalidMessage(f"presence: unknown keys {', '.join(sorted(map(str, unknown)))}")
    cursor = data.get("cursor")
    if cursor is not None and not (
        type(cursor) is list and len(cursor) == 2 and _finite(cursor[0]) and _finite(cursor[1])
    ):
        raise InvalidMessage("presence: cursor must be [x, y] or nil")
    if "sel" in data:
        sel = data["sel"]
        if type(sel) is not list or len(sel) > MAX_SELECTION:
            raise InvalidMessage(f"presence: sel must be a list of at most {MAX_SELECTION} ids")
        for obj_id in sel:
            try:
                check_id(obj_id)
            except RequestError as exc:
                raise InvalidMessage(f"presence: sel: {exc.reason}") from None
    stroke = data.get("stroke")
    if stroke is not None and not (
        type(stroke) is list and len(stroke) <= MAX_STROKE_NUMBERS and all(map(_finite, stroke))
    ):
        raise InvalidMessage(
            f"presence: stroke must be at most {MAX_STROKE_NUMBERS} finite numbers or nil"
        )
    colour = data.get("colour")
    if colour is not None and not is_colour(colour):
        raise InvalidMessage("presence: colour must be #rrggbb or nil")
    return data


# The common presence message checked in one pass in C (msgspec), by rules that accept
# only what check_presence_data accepts (a property test holds them to it): exactly
# "t" (first), "board" and "data", the data's keys known. Anything else, and any
# value these rules refuse, takes the general path, which decides and names the problem.
# (msgspec matches a pattern with re.search: anchored at both ends, "\\Z" not "$".)
_Id = Annotated[str, msgspec.Meta(pattern=ID_PATTERN.removesuffix("$") + r"\Z")]
_Coord = Annotated[float, msgspec.Meta(ge=-MAX_COORD, le=MAX_COORD)]  # (no NaN, no bool)
_Colour = Annotated[str, msgspec.Meta(pattern=COLOUR_PATTERN.removesuffix("$") + r"\Z")]


class _PresenceData(msgspec.Struct, forbid_unknown_fields=True):
    cursor: tuple[_Coord, _Coord] | None = None
    sel: Annotated[list[_Id], msgspec.Meta(max_length=MAX_SELECTION)] = []
    stroke: Annotated[list[_Coord], msgspec.Meta(max_length=MAX_STROKE_NUMBERS)] | None = None
    colour: _Colour | None = None


class _PresenceFrame(msgspec.Struct, forbid_unknown_fields=True):
    t: str
    board: _Id
    data: msgspec.Raw


_presence_frame = msgspec.msgpack.Decoder(_PresenceFrame)
_presence_data = msgspec.msgpack.Decoder(_PresenceData)
_plain = msgspec.msgpack.Decoder()  # (only for data the rules above have checked)
_PRESENCE_HEAD = b"\x83\xa1t\xa8presence"  # three entries, the first "t": "presence"


def _presence_fast(data: bytes) -> Presence | None:
    """A common presence message, checked in one pass; None: the general path decides."""
    if len(data) > MAX_FRAME_BYTES:  # (a data map may repeat a key any number of times)
        return None
    try:
        frame = _presence_frame.decode(data)
        _presence_data.decode(frame.data)
    except (msgspec.MsgspecError, RecursionError):  # (msgspec: nesting past Python's limit)
        return None
    # (frame.t is "presence": the head says so, and no key comes twice in three required)
    return Presence(board=frame.board, data=_plain.decode(frame.data))


@dataclass(frozen=True, slots=True)
class Presence:
    """Ephemeral state on a board (never stored): cursor, selection, stroke in progress."""

    board: str
    data: dict[str, Any]
    t = "presence"

    @classmethod
    def from_map(cls, m: dict[str, Any]) -> Presence:
        return cls(board=_board(m), data=check_presence_data(m.get("data")))

    def to_map(self) -> dict[str, Any]:
        return {"t": self.t, "board": self.board, "data": self.data}


@dataclass(frozen=True, slots=True)
class Ping:
    n: int = 0
    t = "ping"

    @classmethod
    def from_map(cls, m: dict[str, Any]) -> Ping:
        return cls(n=_int(m, "n", optional=True) or 0)

    def to_map(self) -> dict[str, Any]:
        return {"t": self.t, "n": self.n}


@dataclass(frozen=True, slots=True)
class Control:
    """A facilitator's control of the workshop (timer, programme, lock, spotlight...)."""

    ref: int
    action: str
    args: dict[str, Any] = field(default_factory=dict)
    t = "control"

    @classmethod
    def from_map(cls, m: dict[str, Any]) -> Control:
        ref = _int(m, "ref")
        try:
            action = _str(m, "action", 32)
            args = _get(m, "args", dict, optional=True) or {}
        except RequestError as exc:
            exc.ref = ref
            raise
        return cls(ref=ref, action=action, args=args)

    def to_map(self) -> dict[str, Any]:
        return {"t": self.t, "ref": self.ref, "action": self.action, "args": self.args}


ClientMessage: TypeAlias = Hello | Subscribe | Unsubscribe | Ops | Presence | Ping | Control

_CLIENT_TYPES: dict[str, Any] = {
    cls.t: cls for cls in (Hello, Subscribe, Unsubscribe, Ops, Presence, Ping, Control)
}


def decode_client(data: bytes) -> ClientMessage:
    """Decode and validate one client frame, or raise a RequestError. An ``ops``
    message keeps the bytes of each op as they came (:attr:`Ops.packed`).

    The two common messages, a presence and an ``ops``, are first tried in one pass
    (msgspec, in C); what that pass does not take goes the general way
    (:func:`decode_general`), which decides and names every problem. The one-pass
    decodes accept only what the general one accepts, with the same result."""
    if data[:12] == _PRESENCE_HEAD:
        presence = _presence_fast(data)
        if presence is not None:
            return presence
    fast = codec.unpack_ops(data)
    if fast is not None:
        m, packed = fast
        try:
            return Ops.from_map(m, packed)
        except RequestError:
            pass  # (named by the general decode, as for any message)
    return decode_general(data)


def decode_general(data: bytes) -> ClientMessage:
    """Decode and validate one client frame the general way (any message, every
    problem named), or raise a RequestError; ``ops`` keeps no bytes here."""
    m = codec.unpack(data)
    tag = m.get("t")
    cls = _CLIENT_TYPES.get(tag) if type(tag) is str else None
    if cls is None:
        raise UnknownMessage(f"unknown message type {tag!r}", ref=_safe_ref(m))
    try:
        message: ClientMessage = cls.from_map(m)
    except RequestError as exc:
        # A refused request names its ref and board when it had valid ones, so that the
        # sender can tell which subscribe or batch was refused.
        if exc.ref is None:
            exc.ref = _safe_ref(m)
        if exc.board is None and "board" in m:
            exc.board = _safe_board(m)
        raise
    return message


def _safe_board(m: dict[str, Any]) -> str | None:
    try:
        return check_id(m.get("board"), "board")
    except RequestError:
        return None


def _safe_ref(m: dict[str, Any]) -> int | None:
    ref = m.get("ref")
    return ref if type(ref) is int and 0 <= ref <= MAX_REF else None


# ------------------------------------------------------------------- hub to client


@dataclass(frozen=True, slots=True)
class Welcome:
    """Answer to hello: who you are to the hub and which boards you may open."""

    conn: str
    role: str
    workshop: str
    participant: str | None
    boards: list[str]
    writable: list[str]
    time: float
    limits: dict[str, int]
    v: int = PROTOCOL_VERSION
    t = "welcome"

    def to_map(self) -> dict[str, Any]:
        return {
            "t": self.t,
            "v": self.v,
            "conn": self.conn,
            "role": self.role,
            "workshop": self.workshop,
            "participant": self.participant,
            "boards": self.boards,
            "writable": self.writable,
            "time": self.time,
            "limits": self.limits,
        }

    @classmethod
    def from_map(cls, m: dict[str, Any]) -> Welcome:
        return cls(
            conn=_get(m, "conn", str),
            role=_get(m, "role", str),
            workshop=_get(m, "workshop", str),
            participant=_get(m, "participant", str, optional=True),
            boards=_get(m, "boards", list),
            writable=_get(m, "writable", list),
            time=_get(m, "time", (int, float)),
            limits=_get(m, "limits", dict),
            v=_int(m, "v"),
        )


@dataclass(frozen=True, slots=True)
class Sync:
    """Answer to subscribe: ``full`` state (a snapshot) or the ops missed since ``since``.

    A large answer comes in several ``sync`` frames of one board and ``seq``: every one
    but the last has ``more: true``; together they hold the answer's ops."""

    board: str
    seq: int
    full: bool
    ops: list[Op]
    ref: int | None = None
    more: bool = False
    t = "sync"

    def to_map(self) -> dict[str, Any]:
        out = {
            "t": self.t,
            "board": self.board,
            "seq": self.seq,
            "full": self.full,
            "ops": [list(o) for o in self.ops],
            "ref": self.ref,
        }
        if self.more:
            out["more"] = True
        return out

    @classmethod
    def from_map(cls, m: dict[str, Any]) -> Sync:
        return cls(
            board=_board(m),
            seq=_int(m, "seq"),
            full=_get(m, "full", bool),
            ops=[Op(*o) for o in _get(m, "ops", list)],
            ref=_int(m, "ref", optional=True),
            more=_get(m, "more", bool, optional=True) or False,
        )


SYNC_CHUNK_BYTES = 64 * 1024


def sync_frames(
    board: str,
    seq: int,
    full: bool,
    packed_ops: Iterable[bytes],
    ref: int | None,
    chunk_bytes: int = SYNC_CHUNK_BYTES,
) -> Iterator[bytes]:
    """The ``sync`` answer as frames of about ``chunk_bytes`` of ops each (at least one
    op per frame, and one frame for no ops); made as they are asked for, so that a large
    board is never one frame, nor encoded in one go."""
    head = {"t": "sync", "board": board, "seq": seq, "full": full, "ref": ref}
    chunk: list[bytes] = []
    size = 0
    for raw in packed_ops:
        if chunk and size + len(raw) > chunk_bytes:
            yield codec.pack_map({**head, "more": True}, {"ops": codec.pack_array(chunk)})
            chunk, size = [], 0
        chunk.append(raw)
        size += len(raw)
    yield codec.pack_map(head, {"ops": codec.pack_array(chunk)})


@dataclass(frozen=True, slots=True)
class Update:
    """The board's stored ops numbered ``first`` .. ``seq`` (wire key ``from``), less
    those that came in over the receiving connection (no echo), in order."""

    board: str
    first: int
    seq: int
    ops: list[Op]
    t = "update"

    def to_map(self) -> dict[str, Any]:
        return {
            "t": self.t,
            "board": self.board,
            "from": self.first,
            "seq": self.seq,
            "ops": [list(o) for o in self.ops],
        }

    @classmethod
    def from_map(cls, m: dict[str, Any]) -> Update:
        first, seq = _int(m, "from", lo=1), _int(m, "seq", lo=1)
        if first > seq:
            raise InvalidMessage("update: from is greater than seq")
        return cls(
            board=_board(m), first=first, seq=seq, ops=[Op(*o) for o in _get(m, "ops", list)]
        )


def encode_update(board: str, first: int, seq: int, packed_ops: list[bytes]) -> bytes:
    """An ``update`` from ops that are msgpack already: their bytes are concatenated
    under an array header, never decoded nor packed again."""
    head = {"t": "update", "board": board, "from": first, "seq": seq}
    return codec.pack_map(head, {"ops": codec.pack_array(packed_ops)})


Lost: TypeAlias = tuple[str, str, int]
"""An acknowledged op that was not stored: ``(id, field, counter)``."""


@dataclass(frozen=True, slots=True)
class Ack:
    """Batch ``ref`` (and every earlier one of the board) is stored; the connection has
    received every op of the board through ``seq``; ``lost``: the acknowledged ops that
    were not stored."""

    board: str
    ref: int
    seq: int
    applied: int
    lost: tuple[Lost, ...] = ()
    t = "ack"

    def to_map(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "t": self.t,
            "board": self.board,
            "ref": self.ref,
            "seq": self.seq,
            "applied": self.applied,
        }
        if self.lost:
            out["lost"] = [list(x) for x in self.lost]
        return out

    @classmethod
    def from_map(cls, m: dict[str, Any]) -> Ack:
        lost: list[Lost] = []
        for x in _get(m, "lost", list, optional=True) or ():
            if not (
                type(x) is list
                and len(x) == 3
                and type(x[0]) is str
                and type(x[1]) is str
                and type(x[2]) is int
            ):
                raise InvalidMessage("ack: lost holds [id, field, counter] arrays")
            lost.append((x[0], x[1], x[2]))
        return cls(
            board=_board(m),
            ref=_int(m, "ref"),
            seq=_int(m, "seq"),
            applied=_int(m, "applied"),
            lost=tuple(lost),
        )


@dataclass(frozen=True, slots=True)
class PresenceOut:
    """Another connection's presence on a board."""

    board: str
    conn: str
    client: str
    name: str
    data: dict[str, Any] = field(default_factory=dict)
    t = "presence"

    def to_map(self) -> dict[str, Any]:
        return {
            "t": self.t,
            "board": self.board,
            "conn": self.conn,
            "client": self.client,
            "name": self.name,
            "data": self.data,
        }

    @classmethod
    def from_map(cls, m: dict[str, Any]) -> PresenceOut:
        return cls(
            board=_board(m),
            conn=_get(m, "conn", str),
            client=_get(m, "client", str),
            name=_get(m, "name", str),
            data=_get(m, "data", dict),
        )


@dataclass(frozen=True, slots=True)
class Leave:
    """A connection left a board: forget its presence."""

    board: str
    conn: str
    t = "leave"

    def to_map(self) -> dict[str, Any]:
        return {"t": self.t, "board": self.board, "conn": self.conn}

    @classmethod
    def from_map(cls, m: dict[str, Any]) -> Leave:
        return cls(board=_board(m), conn=_get(m, "conn", str))


@dataclass(frozen=True, slots=True)
class Error:
    """A refused request (``code`` from the error table), with its ``ref`` if it had one."""

    code: str
    reason: str
    ref: int | None = None
    board: str | None = None
    t = "error"

    def to_map(self) -> dict[str, Any]:
        return {
            "t": self.t,
            "code": self.code,
            "reason": self.reason[:MAX_REASON_LEN],
            "ref": self.ref,
            "board": self.board,
        }

    @classmethod
    def from_map(cls, m: dict[str, Any]) -> Error:
        return cls(
            code=_get(m, "code", str),
            reason=_get(m, "reason", str),
            ref=_int(m, "ref", optional=True),
            board=_get(m, "board", str, optional=True),
        )


@dataclass(frozen=True, slots=True)
class Pong:
    n: int
    time: float
    t = "pong"

    def to_map(self) -> dict[str, Any]:
        return {"t": self.t, "n": self.n, "time": self.time}

    @classmethod
    def from_map(cls, m: dict[str, Any]) -> Pong:
        return cls(n=_int(m, "n"), time=_get(m, "time", (int, float)))


@dataclass(frozen=True, slots=True)
class WorkshopEvent:
    """The workshop's public state changed (programme, timer, groups, spotlight)."""

    workshop: str
    state: dict[str, Any]
    t = "workshop"

    def to_map(self) -> dict[str, Any]:
        return {"t": self.t, "workshop": self.workshop, "state": self.state}

    @classmethod
    def from_map(cls, m: dict[str, Any]) -> WorkshopEvent:
        return cls(workshop=_get(m, "workshop", str), state=_get(m, "state", dict))


@dataclass(frozen=True, slots=True)
class Done:
    """A control request ``ref`` was carried out (the new state follows as ``workshop``)."""

    ref: int
    t = "done"

    def to_map(self) -> dict[str, Any]:
        return {"t": self.t, "ref": self.ref}

    @classmethod
    def from_map(cls, m: dict[str, Any]) -> Done:
        return cls(ref=_int(m, "ref"))


ServerMessage: TypeAlias = (
    Welcome | Sync | Update | Ack | PresenceOut | Leave | Error | Pong | WorkshopEvent | Done
)

_SERVER_TYPES: dict[str, Any] = {
    cls.t: cls
    for cls in (Welcome, Sync, Update, Ack, PresenceOut, Leave, Error, Pong, WorkshopEvent, Done)
}


def _server_message(m: dict[str, Any]) -> ServerMessage:
    tag = m.get("t")
    cls = _SERVER_TYPES.get(tag) if type(tag) is str else None
    if cls is None:
        raise UnknownMessage(f"unknown message type {tag!r}")
    message: ServerMessage = cls.from_map(m)
    return message


def decode_server(data: bytes) -> ServerMessage:
    """Decode one hub message encoded alone (no size cap); a frame of several messages
    is :func:`decode_frame`'s."""
    return _server_message(codec.unpack(data, limit=None))


def decode_frame(data: bytes) -> list[ServerMessage]:
    """Decode a hub frame: its messages in order (clients use this)."""
    return [_server_message(m) for m in codec.unpack_all(data)]


def encode(message: ClientMessage | ServerMessage) -> bytes:
    return codec.pack(message.to_map())
