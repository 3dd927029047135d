"""A workshop: its groups, participants, programme; who may read and write which board.

Pure data and rules. The store keeps a workshop as the msgpack of :meth:`Workshop.to_dict`
and changes it with a compare-and-set loop around the functions here.

Boards of a workshop are named ``<workshop>:g<n>`` for group ``n`` (1-based), plus
``<workshop>:p<participant>`` for a participant's individual board. Who may read and write
which board depends on the role, and for participants on the current part's mode
(see :meth:`Workshop.board_access`).

Every change bumps :attr:`Workshop.version`; what follows from one version (the pairs,
each person's boards, the public state) is worked out once per version and kept, so
that a workshop of 200 people costs one pass per change, not one per connection.
"""

from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .errors import Conflict, InvalidMessage, NotFound, TooLarge
from .programme import TEMPLATES, check_programme
from .session import Session

GROUP_SIZE = 4
MAX_GROUPS = 50
MAX_PARTICIPANTS = MAX_GROUPS * GROUP_SIZE  # joining fills groups of four, up to 50 groups
MAX_TITLE = 200
MAX_NICKNAME = 40
JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
JOIN_CODE_LEN = 6


class Role(StrEnum):
    FACILITATOR = "facilitator"
    VIEWER = "viewer"
    PARTICIPANT = "participant"


class Access(StrEnum):
    NONE = "none"
    READ = "read"
    WRITE = "write"


def new_id(nbytes: int = 6) -> str:
    return secrets.token_hex(nbytes)


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LEN))


def normalise_join_code(code: str) -> str:
    """Codes are typed by people: ignore case, spaces and dashes."""
    return "".join(c for c in code.upper() if c.isalnum())


@dataclass
class Participant:
    id: str
    name: str
    group: int
    joined: float

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "group": self.group, "joined": self.joined}


@dataclass
class Workshop:
    id: str
    title: str
    join_code: str
    created: float
    groups: int
    programme: list[dict[str, Any]]
    date: str = ""
    participants: dict[str, Participant] = field(default_factory=dict)
    session: Session = field(default_factory=Session)
    version: int = 0  # bumped by every change; the store's compare-and-set uses it
    token_generation: int = 0  # facilitator and viewer tokens of older ones are revoked
    # What one version implies, worked out once (see _derived).
    _memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    _memo_version: int = field(default=-1, init=False, repr=False, compare=False)

    def _derived(self, key: str, make: Any) -> Any:
        """``make()``, once per version of the workshop (every change bumps it)."""
        if self._memo_version != self.version:
            self._memo.clear()
            self._memo_version = self.version
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    @classmethod
    def create(
        cls,
        title: Any,
        groups: Any,
        *,
        now: float,
        template: Any = "default-nl",
        programme: Any = None,
        date: Any = "",
    ) -> Workshop:
        """Validate a facilitator's request and build a new workshop."""
        if type(title) is not str or not title.strip():
            raise InvalidMessage("title: give the workshop a title")
        if len(title) > MAX_TITLE:
            raise TooLarge(f"title: at most {MAX_TITLE} characters")
        if type(groups) is not int or not 1 <= groups <= MAX_GROUPS:
            raise InvalidMessage(f"groups: a number of groups 1..{MAX_GROUPS}")
        if type(date) is not str or len(date) > 40:
            raise InvalidMessage("date: a date as text, at most 40 characters")
        if programme is None:
            if type(template) is not str or template not in TEMPLATES:
                raise InvalidMessage(f"template: one of {', '.join(TEMPLATES)}")
            programme = copy.deepcopy(TEMPLATES[template])
        else:
            programme = check_programme(programme)
        ws = cls(
            id=new_id(),
            title=title.strip(),
            join_code=new_join_code(),
            created=now,
            groups=groups,
            programme=programme,
            date=date,
        )
        ws.session.timer.reset(programme[0]["parts"][0]["minutes"])
        return ws

    # ----------------------------------------------------------------- boards

    def group_board(self, group: int) -> str:
        return f"{self.id}:g{group}"

    def personal_board(self, participant: str) -> str:
        return f"{self.id}:p{participant}"

    def group_boards(self) -> list[str]:
        return [self.group_board(g) for g in range(1, self.groups + 1)]

    def boards(self) -> list[str]:
        """Every board of the workshop: the groups', then each participant's own."""
        return self.group_boards() + [self.personal_board(p) for p in self.participants]

    def board_kind(self, board: str) -> str | None:
        """``group`` or ``personal`` for a board of this workshop, else None (O(1))."""
        prefix, _, rest = board.partition(":")
        if prefix != self.id or len(rest) < 2:
            return None
        if rest[0] == "g" and rest[1:].isdigit() and 1 <= int(rest[1:]) <= self.groups:
            return "group" if rest[1] != "0" else None
        if rest[0] == "p" and rest[1:] in self.participants:
            return "personal"
        return None

    @property
    def mode(self) -> str:
        """Who shares a board in the current part: group, pair, individual or plenary."""
        s = self.session
        mode: str = self.programme[s.round]["parts"][s.part]["mode"]
        return mode

    def pairs(self) -> list[list[str]]:
        """Pairs within each group, in joining order; an odd one out makes a trio."""
        result: list[list[str]] = self._derived("pairs", self._make_pairs)
        return result

    def _make_pairs(self) -> list[list[str]]:
        by_group: dict[int, list[Participant]] = {}
        for p in self.participants.values():
            by_group.setdefault(p.group, []).append(p)
        out: list[list[str]] = []
        for g in range(1, self.groups + 1):
            ids = [p.id for p in sorted(by_group.get(g, []), key=lambda p: (p.joined, p.id))]
            chunk = [ids[i : i + 2] for i in range(0, len(ids), 2)]
            if len(chunk) > 1 and len(chunk[-1]) == 1:
                odd = chunk.pop()
                chunk[-1] += odd
            out += chunk
        return out

    def partners(self, participant: str) -> list[str]:
        table: dict[str, list[str]] = self._derived(
            "partners",
            lambda: {p: [q for q in pair if q != p] for pair in self.pairs() for p in pair},
        )
        return table.get(participant, [])

    def board_access(self, role: Role, participant: str | None, board: str) -> Access:
        """What ``role`` (and ``participant``, for that role) may do on ``board`` now.

        Facilitator: write everything. Viewer (plenary): read group boards, and personal
        boards the facilitator revealed or spotlights. Participant: write the board of the
        current mode (its group's in group and plenary parts, its own in individual and
        pair parts) unless the boards are locked; read its other board, its partners'
        boards in a pair part, and the spotlight.
        """
        kind = self.board_kind(board)
        if kind is None:
            return Access.NONE
        s = self.session
        match role:
            case Role.FACILITATOR:
                return Access.WRITE
            case Role.VIEWER:
                if kind == "group" or board in s.revealed or board == s.spotlight:
                    return Access.READ
                return Access.NONE
            case Role.PARTICIPANT:
                p = self.participants.get(participant or "")
                if p is None:
                    return Access.NONE
                own_group, own = self.group_board(p.group), self.personal_board(p.id)
                current = own_group if self.mode in ("group", "plenary") else own
                if board == current:
                    return Access.READ if s.locked else Access.WRITE
                if board in (own_group, own) or board == s.spotlight:
                    return Access.READ
                if self.mode == "pair" and board in map(self.personal_board, self.partners(p.id)):
                    return Access.READ
                return Access.NONE
        raise AssertionError(role)  # pragma: no cover

    def readable_boards(self, role: Role, participant: str | None) -> list[str]:
        return [b for b, a in self._access(role, participant) if a != Access.NONE]

    def writable_boards(self, role: Role, participant: str | None) -> list[str]:
        return [b for b, a in self._access(role, participant) if a == Access.WRITE]

    def _access(self, role: Role, participant: str | None) -> list[tuple[str, Access]]:
        """The boards ``role`` may open, with its access, in the order of :meth:`boards`;
        for a participant only the few boards that may concern it are looked at."""
        if role != Role.PARTICIPANT:
            table: list[tuple[str, Access]] = self._derived(
                f"access:{role}",
                lambda: [(b, self.board_access(role, None, b)) for b in self.boards()],
            )
            return table
        p = self.participants.get(participant or "")
        if p is None:
            return []
        order: dict[str, int] = self._derived(
            "order", lambda: {b: i for i, b in enumerate(self.boards())}
        )
        s = self.session
        near = {self.group_board(p.group), self.personal_board(p.id)}
        near |= {self.personal_board(q) for q in self.partners(p.id)}
        if s.spotlight is not None:
            near.add(s.spotlight)
        found = [(b, self.board_access(role, p.id, b)) for b in near if b in order]
        return sorted(found, key=lambda item: order[item[0]])

    def current_board(self, participant: str) -> str | None:
        """The board a participant draws on in the current part."""
        p = self.participants.get(participant)
        if p is None:
            return None
        if self.mode in ("group", "plenary"):
            return self.group_board(p.group)
        return self.personal_board(p.id)

    # ------------------------------------------------------------ participants

    def members(self, group: int) -> list[Participant]:
        return [p for p in self.participants.values() if p.group == group]

    def join(self, nickname: Any, *, now: float, group: Any = None) -> Participant:
        """Add a participant: to ``group`` if given, else to the emptiest group of < 4.

        When every group is full a new group is opened, so nobody is turned away.
        """
        if type(nickname) is not str or not nickname.strip():
            raise InvalidMessage("nickname: choose a nickname")
        if len(nickname) > MAX_NICKNAME:
            raise TooLarge(f"nickname: at most {MAX_NICKNAME} characters")
        if len(self.participants) >= MAX_PARTICIPANTS:
            raise Conflict(
                f"this workshop is full ({MAX_PARTICIPANTS} participants in {MAX_GROUPS} "
                f"groups of {GROUP_SIZE})"
            )
        if group is None:
            group = self._emptiest_group()
        else:
            self._check_group(group)
        p = Participant(id=new_id(4), name=nickname.strip(), group=group, joined=now)
        self.participants[p.id] = p
        self.version += 1
        return p

    def remove(self, participant: str) -> Participant:
        """The facilitator removes a participant: its token stops working at once (the
        hub checks it against this record). What it drew stays with the workshop."""
        p = self.participants.pop(participant, None)
        if p is None:
            raise NotFound(f"no participant {participant!r} in this workshop")
        self.session.revealed = [b for b in self.session.revealed if b != self.personal_board(p.id)]
        if self.session.spotlight == self.personal_board(p.id):
            self.session.spotlight = None
        self.version += 1
        return p

    def revoke_tokens(self) -> int:
        """Make every facilitator and viewer token issued so far invalid; the new
        generation to put into new ones."""
        self.token_generation += 1
        self.version += 1
        return self.token_generation

    def move(self, participant: str, group: Any) -> Participant:
        """The facilitator moves a participant to another group."""
        p = self.participants.get(participant)
        if p is None:
            raise NotFound(f"no participant {participant!r} in this workshop")
        self._check_group(group)
        p.group = group
        self.version += 1
        return p

    def _check_group(self, group: Any) -> None:
        if type(group) is not int or not 1 <= group <= self.groups:
            raise InvalidMessage(f"group: a group number 1..{self.groups}")

    def _emptiest_group(self) -> int:
        sizes = dict.fromkeys(range(1, self.groups + 1), 0)
        for p in self.participants.values():
            sizes[p.group] = sizes.get(p.group, 0) + 1
        # Fill groups one after another, so that groups of four form as people arrive.
        # (With fewer than MAX_PARTICIPANTS people, MAX_GROUPS groups always have a seat.)
        for g in sorted(sizes):
            if sizes[g] < GROUP_SIZE:
                return g
        self.groups += 1
        return self.groups

    # ----------------------------------------------------------- persistence

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "join_code": self.join_code,
            "created": self.created,
            "groups": self.groups,
            "programme": self.programme,
            "date": self.date,
            "participants": [p.to_dict() for p in self.participants.values()],
            "session": self.session.to_dict(),
            "version": self.version,
            "token_generation": self.token_generation,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Workshop:
        return cls(
            id=d["id"],
            title=d["title"],
            join_code=d["join_code"],
            created=d["created"],
            groups=d["groups"],
            programme=d["programme"],
            date=d.get("date", ""),
            participants={p["id"]: Participant(**p) for p in d["participants"]},
            session=Session.from_dict(d["session"]),
            version=d["version"],
            token_generation=d.get("token_generation", 0),
        )

    def public(self) -> dict[str, Any]:
        """What every member of the workshop may see (no tokens, no secrets); one dict
        per version, shared: copy it before changing it."""
        shared: dict[str, Any] = self._derived("public", self._make_public)
        return shared

    def _make_public(self) -> dict[str, Any]:
        d = self.to_dict()
        del d["token_generation"]
        d["boards"] = self.boards()
        d["group_boards"] = self.group_boards()
        d["mode"] = self.mode
        d["pairs"] = self.pairs()
        return d

    def you(self, role: Role, participant: str | None) -> dict[str, Any]:
        """The part of the workshop's state that is one member's own: their boards."""
        access = self._access(role, participant)
        return {
            "role": role.value,
            "participant": participant,
            "board": self.current_board(participant) if participant else None,
            "readable": [b for b, a in access if a != Access.NONE],
            "writable": [b for b, a in access if a == Access.WRITE],
        }

    def view(self, role: Role, participant: str | None) -> dict[str, Any]:
        """The workshop as one member sees it: public state plus their boards."""
        return {**self.public(), "you": self.you(role, participant)}
