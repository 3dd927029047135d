"""The live state of a running workshop and the facilitator's controls over it.

Pure: the hub calls :func:`apply_control` inside the store's compare-and-set of the
workshop record, with the hub's clock in milliseconds. Times are the hub's clock
(milliseconds since the Unix epoch), so that every device shows the same remaining time:
clients learn their offset to the hub's clock from ``welcome.time`` and ``pong.time``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import Conflict, Forbidden, InvalidMessage, NotFound
from .programme import check_programme
from .schema import check_id

if TYPE_CHECKING:
    from .workshop import Workshop

MAX_EXTEND_MINUTES = 60
ACTIONS = (
    "start",
    "pause",
    "extend",
    "end",
    "next",
    "goto",
    "lock",
    "spotlight",
    "reveal",
    "programme",
    "move",
    "analysis",
    "remove",
    "joining",
)


@dataclass
class Timer:
    """The timer of the current part: running until ``ends_at``, or stopped with
    ``remaining_ms`` left."""

    duration_ms: int = 0
    remaining_ms: int = 0
    running: bool = False
    ends_at: float | None = None

    def remaining(self, now_ms: float) -> int:
        if self.running and self.ends_at is not None:
            return max(0, int(self.ends_at - now_ms))
        return self.remaining_ms

    def reset(self, minutes: int) -> None:
        self.duration_ms = self.remaining_ms = minutes * 60_000
        self.running, self.ends_at = False, None

    def start(self, now_ms: float) -> None:
        if not self.running:
            self.running, self.ends_at = True, now_ms + self.remaining_ms

    def pause(self, now_ms: float) -> None:
        if self.running:
            self.remaining_ms = self.remaining(now_ms)
            self.running, self.ends_at = False, None

    def extend(self, minutes: int, now_ms: float) -> None:
        delta = minutes * 60_000
        self.duration_ms += delta
        if self.running and self.ends_at is not None:
            self.ends_at = max(self.ends_at, now_ms) + delta
        else:
            self.remaining_ms += delta

    def end(self) -> None:
        self.running, self.ends_at, self.remaining_ms = False, None, 0

    def adjust(self, delta_ms: int, now_ms: float) -> None:
        """The part got longer or shorter: so does what is left (never below 0)."""
        self.duration_ms = max(0, self.duration_ms + delta_ms)
        if self.running and self.ends_at is not None:
            self.ends_at = max(self.ends_at + delta_ms, now_ms)
        else:
            self.remaining_ms = max(0, self.remaining_ms + delta_ms)

    def to_dict(self) -> dict[str, Any]:
        return {
            "duration_ms": self.duration_ms,
            "remaining_ms": self.remaining_ms,
            "running": self.running,
            "ends_at": self.ends_at,
        }


@dataclass
class Session:
    """Where the workshop is in its programme, its timer, lock, spotlight and reveals,
    whether the plenary screen shows the analysis layer, and whether the join code still
    lets people in (the facilitator closes joining once everyone is there)."""

    round: int = 0
    part: int = 0
    timer: Timer = field(default_factory=Timer)
    locked: bool = False
    spotlight: str | None = None
    revealed: list[str] = field(default_factory=list)
    analysis: bool = False
    joining: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "part": self.part,
            "timer": self.timer.to_dict(),
            "locked": self.locked,
            "spotlight": self.spotlight,
            "revealed": list(self.revealed),
            "analysis": self.analysis,
            "joining": self.joining,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Session:
        return cls(
            round=d["round"],
            part=d["part"],
            timer=Timer(**d["timer"]),
            locked=d["locked"],
            spotlight=d["spotlight"],
            revealed=list(d["revealed"]),
            analysis=d.get("analysis", False),  # records from before the analysis layer
            joining=d.get("joining", True),  # records from before joining could close
        )


def _arg(args: dict[str, Any], key: str, kind: type) -> Any:
    value = args.get(key)
    if type(value) is not kind:
        raise InvalidMessage(f"control: {key!r} must be a {kind.__name__}")
    return value


def apply_control(
    ws: Workshop, action: Any, args: Any, now_ms: float, *, by_viewer: bool = False
) -> None:
    """Change ``ws`` by one facilitator control, or raise a RequestError.

    ``by_viewer``: the plenary screen asks; it may only choose what the beamer shows
    (``spotlight``), among the boards it may read.
    """
    if type(args) is not dict:
        raise InvalidMessage("control: args must be a map")
    if by_viewer and action != "spotlight":
        raise Forbidden("the plenary screen only chooses the map it shows")
    s = ws.session
    match action:
        case "start":
            s.timer.start(now_ms)
        case "pause":
            s.timer.pause(now_ms)
        case "extend":
            minutes = _arg(args, "minutes", int)
            if not 1 <= minutes <= MAX_EXTEND_MINUTES:
                raise InvalidMessage(f"control: extend by 1..{MAX_EXTEND_MINUTES} minutes")
            s.timer.extend(minutes, now_ms)
        case "end":
            s.timer.end()
        case "next":
            r, p = s.round, s.part + 1
            if p >= len(ws.programme[r]["parts"]):
                r, p = r + 1, 0
            if r >= len(ws.programme):
                raise Conflict("this is the last part of the programme")
            _goto(ws, r, p)
        case "goto":
            _goto(ws, _arg(args, "round", int), _arg(args, "part", int))
        case "lock":
            s.locked = _arg(args, "locked", bool)
        case "spotlight":
            board = args.get("board")
            if board is not None and (type(board) is not str or ws.board_kind(board) is None):
                raise NotFound(f"no board {board!r} in this workshop")
            if by_viewer and not ws.viewer_may_show(board):
                raise Forbidden(f"the plenary screen may not show board {board}")
            s.spotlight = board
        case "reveal":
            board = check_id(_arg(args, "board", str), "board")
            if ws.board_kind(board) is None:
                raise NotFound(f"no board {board!r} in this workshop")
            revealed = _arg(args, "revealed", bool)
            s.revealed = [b for b in s.revealed if b != board] + ([board] if revealed else [])
        case "programme":
            before = ws.programme[s.round]["parts"][s.part]["minutes"]
            ws.programme = check_programme(args.get("programme"))
            if s.round >= len(ws.programme) or s.part >= len(ws.programme[s.round]["parts"]):
                _goto(ws, 0, 0)
            else:
                # New minutes for the current part move its timer, running or not.
                after = ws.programme[s.round]["parts"][s.part]["minutes"]
                s.timer.adjust((after - before) * 60_000, now_ms)
        case "move":
            ws.move(_arg(args, "participant", str), args.get("group"))
        case "analysis":
            s.analysis = _arg(args, "on", bool)
        case "remove":
            ws.remove(_arg(args, "participant", str))
        case "joining":
            s.joining = _arg(args, "open", bool)
        case _:
            raise InvalidMessage(f"control: unknown action {action!r}; known: {', '.join(ACTIONS)}")
    ws.version += 1


def _goto(ws: Workshop, round_: int, part: int) -> None:
    if not 0 <= round_ < len(ws.programme) or not 0 <= part < len(ws.programme[round_]["parts"]):
        raise InvalidMessage("control: no such round and part in the programme")
    s = ws.session
    s.round, s.part = round_, part
    s.timer.reset(ws.programme[round_]["parts"][part]["minutes"])
    s.locked = False
    s.spotlight = None  # every part starts on the overview
