"""A workshop: its groups, participants, programme; who may read and write which board.

Pure data and rules. The store keeps a workshop as the msgpack of :meth:`Workshop.to_dict`
and changes it with a compare-and-set loop around the functions here.

Boards. Each round of the programme has a board key (``programme.py``); rounds with the
same key share boards, so every drawing round starts on fresh ones and the earlier
rounds' boards stay as they were. A key's boards are named

- ``<workshop>:<key>:g<n>`` for group ``n`` (1-based), when a round of that key draws in
  groups (or has only plenary parts), and
- ``<workshop>:<key>:p<participant>`` for one participant, when a round of that key draws
  alone or in pairs;

rounds without a key share the original boards ``<workshop>:g<n>`` and
``<workshop>:p<participant>`` (workshops made before board keys existed). Which board a
part draws on follows its mode; a plenary part draws on the board of the nearest drawing
part of its round. :meth:`Workshop.board_info` tells for any board id its rounds, group or
participant and a label. Who may read and write which board depends on the role, and for
participants on the current part (see :meth:`Workshop.board_access`).

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
# 32^8 = 1.1e12 codes: at the hub's guessing limits a hit stays improbable over a
# workshop's life (docs/security.md); shown as two groups of four (K7MQ-4PXR).
JOIN_CODE_LEN = 8


class Role(StrEnum):
    FACILITATOR = "facilitator"
    VIEWER = "viewer"
    PARTICIPANT = "participant"


class Access(StrEnum):
    NONE = "none"
    READ = "read"
    WRITE = "write"


GROUP = "group"
PERSONAL = "personal"
_GROUP_WORD = {"nl": "Groep", "en": "Group"}


@dataclass(frozen=True)
class BoardInfo:
    """What a board id stands for in its workshop (see :meth:`Workshop.board_info`).

    ``kind`` is ``group`` or ``personal``; ``key`` the rounds' board key (None for the
    original boards shared by keyless rounds); ``rounds`` the indices (0-based, as in the
    session and ``goto``) of the programme rounds that draw on it; ``group`` or
    ``participant`` whose board it is; ``label`` words for people, e.g.
    ``"Groep 2 · Ronde 1: Bestaansrecht lokaal netwerk van sleutelfiguren"``.
    """

    board: str
    kind: str
    key: str | None
    rounds: tuple[int, ...]
    group: int | None
    participant: str | None
    label: str


@dataclass(frozen=True)
class _Who:
    """Who asks for access, and what of the current part matters to the answer."""

    role: Role
    participant: Participant | None
    partners: frozenset[str]
    current: str | None  # the board the participant draws on now
    key: str | None  # the current round's board key
    kind: str  # the kind of board the current part draws on


@dataclass(frozen=True)
class _Layout:
    """The programme seen as boards: per board key its rounds and board kinds; per part
    the kind of board it draws on. Derived from the programme alone (cached)."""

    rounds: dict[str | None, tuple[int, ...]]
    kinds: dict[str | None, frozenset[str]]
    part_kinds: tuple[tuple[str, ...], ...]


def _layout(programme: list[dict[str, Any]]) -> _Layout:
    by_key: dict[str | None, list[int]] = {}
    for r, rnd in enumerate(programme):
        by_key.setdefault(rnd.get("board"), []).append(r)

    def drawing(mode: str) -> str | None:
        return None if mode == "plenary" else GROUP if mode == "group" else PERSONAL

    own: dict[str | None, set[str]] = {k: set() for k in by_key}
    for k, rs in by_key.items():
        for r in rs:
            own[k].update(d for p in programme[r]["parts"] if (d := drawing(p["mode"])))
    part_kinds = []
    for rnd in programme:
        modes = [p["mode"] for p in rnd["parts"]]
        kinds = []
        for i, mode in enumerate(modes):
            kind = drawing(mode)
            if kind is None:
                # A plenary part shows the board of the nearest drawing part of its round
                # (before it, else after it), else the key's boards: personal when the
                # key's rounds draw only alone or in pairs, else the groups'.
                near = [drawing(m) for m in modes[i::-1] + modes[i + 1 :]]
                fallback = PERSONAL if own[rnd.get("board")] == {PERSONAL} else GROUP
                kind = next((k for k in near if k), fallback)
            kinds.append(kind)
        part_kinds.append(tuple(kinds))
    kinds_of: dict[str | None, set[str]] = {k: set() for k in by_key}
    for r, rnd in enumerate(programme):
        kinds_of[rnd.get("board")].update(part_kinds[r])
    if None in kinds_of:
        kinds_of[None] = {GROUP, PERSONAL}  # the original boards: both kinds, as always
    return _Layout(
        rounds={k: tuple(v) for k, v in by_key.items()},
        kinds={k: frozenset(v) for k, v in kinds_of.items()},
        part_kinds=tuple(part_kinds),
    )


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

    @property
    def layout(self) -> _Layout:
        """Board keys, kinds and rounds of the programme (recomputed when it is replaced)."""
        memo = self._memo.get("layout")
        if memo is None or memo[0] is not self.programme:
            memo = self._memo["layout"] = (self.programme, _layout(self.programme))
        layout: _Layout = memo[1]
        return layout

    def _board(self, key: str | None, local: str) -> str:
        return f"{self.id}:{local}" if key is None else f"{self.id}:{key}:{local}"

    def round_key(self, round_: int | None = None) -> str | None:
        """The board key of a round (the current one by default); None: original boards."""
        r = self.session.round if round_ is None else round_
        key: str | None = self.programme[r].get("board")
        return key

    def group_board(self, group: int, round_: int | None = None) -> str:
        """Group ``group``'s board in a round (the current one by default)."""
        return self._board(self.round_key(round_), f"g{group}")

    def personal_board(self, participant: str, round_: int | None = None) -> str:
        """A participant's own board in a round (the current one by default)."""
        return self._board(self.round_key(round_), f"p{participant}")

    def _boards_of(self, key: str | None) -> list[str]:
        kinds = self.layout.kinds[key]
        out = (
            [self._board(key, f"g{g}") for g in range(1, self.groups + 1)] if GROUP in kinds else []
        )
        if PERSONAL in kinds:
            out += [self._board(key, f"p{p}") for p in self.participants]
        return out

    def boards(self) -> list[str]:
        """Every board of the workshop, per board key in programme order: the groups',
        then each participant's own (for the kinds the key's rounds draw on)."""
        return [b for key in self.layout.rounds for b in self._boards_of(key)]

    def group_boards(self) -> list[str]:
        """Every group board of the workshop (all rounds)."""
        return [b for b in self.boards() if self._parse(b)[1] == GROUP]

    def current_boards(self) -> list[str]:
        """The boards of the current part: the groups' or everyone's own, of this round."""
        key = self.round_key()
        if self.current_kind == GROUP:
            return [self._board(key, f"g{g}") for g in range(1, self.groups + 1)]
        return [self._board(key, f"p{p}") for p in self.participants]

    @property
    def current_kind(self) -> str:
        """``group`` or ``personal``: the kind of board the current part draws on."""
        return self.layout.part_kinds[self.session.round][self.session.part]

    def _parse(self, board: str) -> tuple[str | None, str | None, str]:
        """``(key, kind, group number or participant id)`` if ``board`` names a board of
        this workshop, else kind None (O(1): no scan of the boards; remembered until the
        programme, the number of groups or of participants changes)."""
        layout, groups, people = self.layout, self.groups, len(self.participants)
        memo = self._memo.get("parse")
        if memo is None or memo[0] is not layout or memo[1:3] != (groups, people):
            memo = self._memo["parse"] = (layout, groups, people, {})
        known: dict[str, tuple[str | None, str | None, str]] = memo[3]
        got = known.get(board)
        if got is None:
            got = known[board] = self._parse_anew(board)
        return got

    def _parse_anew(self, board: str) -> tuple[str | None, str | None, str]:
        none: tuple[str | None, str | None, str] = (None, None, "")
        prefix, _, rest = board.partition(":")
        if prefix != self.id:
            return none
        key: str | None
        key, sep, local = rest.partition(":")
        if not sep:
            key, local = None, rest
        kinds = self.layout.kinds.get(key)
        if kinds is None or len(local) < 2:
            return none
        ref = local[1:]
        group = ref.isdigit() and ref[0] != "0" and 1 <= int(ref) <= self.groups
        if local[0] == "g" and GROUP in kinds and group:
            return key, GROUP, ref
        if local[0] == "p" and PERSONAL in kinds and ref in self.participants:
            return key, PERSONAL, ref
        return none

    def board_kind(self, board: str) -> str | None:
        """``group`` or ``personal`` for a board of this workshop, else None (O(1))."""
        return self._parse(board)[1]

    def board_info(self, board: str, lang: str = "nl") -> BoardInfo | None:
        """What ``board`` is: its kind, rounds, group or participant, and a label in
        ``lang`` (``nl`` or ``en``); None when it is not a board of this workshop.

        Pure and cheap (no scan): exports and reports call it for every board of
        :meth:`boards`.
        """
        key, kind, ref = self._parse(board)
        if kind is None:
            return None
        rounds = self.layout.rounds[key]
        titles = " + ".join(self.programme[r]["title"] for r in rounds)
        if kind == GROUP:
            group = int(ref)
            who = f"{_GROUP_WORD.get(lang, _GROUP_WORD['en'])} {group}"
            return BoardInfo(board, kind, key, rounds, group, None, f"{who} · {titles}")
        name = self.participants[ref].name
        return BoardInfo(board, kind, key, rounds, None, ref, f"{name} · {titles}")

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

        Facilitator: write everything. Viewer (plenary): read every group board, the
        boards of the current part (everyone's own maps while people draw alone or in
        pairs), and boards the facilitator revealed or spotlights. Participant: write the
        board of the current part (its group's, or its own when drawing alone or in pairs)
        unless the boards are locked; read its other boards of every round, its partners'
        boards of the round in a pair part, and the spotlight.
        """
        return self._access(self._who(role, participant), board)

    def _who(self, role: Role, participant: str | None) -> _Who:
        p = self.participants.get(participant or "") if role == Role.PARTICIPANT else None
        partners = frozenset(self.partners(p.id)) if p and self.mode == "pair" else frozenset()
        current = self.current_board(p.id) if p else None
        return _Who(role, p, partners, current, self.round_key(), self.current_kind)

    def _access(self, who: _Who, board: str) -> Access:
        key, kind, ref = self._parse(board)
        if kind is None:
            return Access.NONE
        s = self.session
        match who.role:
            case Role.FACILITATOR:
                return Access.WRITE
            case Role.VIEWER:
                now = key == who.key and kind == who.kind
                shown = kind == GROUP or now or board in s.revealed or board == s.spotlight
                return Access.READ if shown else Access.NONE
            case Role.PARTICIPANT:
                p = who.participant
                if p is None:
                    return Access.NONE
                if board == who.current:
                    return Access.READ if s.locked else Access.WRITE
                mine = ref == (str(p.group) if kind == GROUP else p.id)
                if mine or board == s.spotlight:
                    return Access.READ
                if kind == PERSONAL and ref in who.partners and key == who.key:
                    return Access.READ
                return Access.NONE
        raise AssertionError(who.role)  # pragma: no cover

    def accesses(self, role: Role, participant: str | None) -> dict[str, Access]:
        """The boards ``role`` may read, each with READ or WRITE (in :meth:`boards` order).

        For the facilitator and the viewer worked out once per version; for a participant
        from the few boards that may concern it (its group's and its own of every round,
        its partners', the spotlight), so a change costs one pass, not one per person.
        Callers must not change the dict they get.
        """
        who = self._who(role, participant)
        if role != Role.PARTICIPANT:
            table: dict[str, Access] = self._derived(
                f"access:{role}",
                lambda: {b: a for b in self.boards() if (a := self._access(who, b)) != Access.NONE},
            )
            return table
        p = who.participant
        if p is None:
            return {}
        order: dict[str, int] = self._derived(
            "order", lambda: {b: i for i, b in enumerate(self.boards())}
        )
        near = {self._board(key, f"g{p.group}") for key in self.layout.rounds}
        near |= {self._board(key, f"p{p.id}") for key in self.layout.rounds}
        near |= {self.personal_board(q) for q in who.partners}
        if self.session.spotlight is not None:
            near.add(self.session.spotlight)
        out: dict[str, Access] = {}
        for b in sorted((b for b in near if b in order), key=order.__getitem__):
            access = self._access(who, b)
            if access != Access.NONE:
                out[b] = access
        return out

    def readable_boards(self, role: Role, participant: str | None) -> list[str]:
        return list(self.accesses(role, participant))

    def writable_boards(self, role: Role, participant: str | None) -> list[str]:
        return [b for b, a in self.accesses(role, participant).items() if a == Access.WRITE]

    def viewer_may_show(self, board: str | None) -> bool:
        """Whether the plenary screen may put ``board`` on the beamer (None: overview)."""
        return board is None or self.board_access(Role.VIEWER, None, board) != Access.NONE

    def current_board(self, participant: str) -> str | None:
        """The board a participant draws on in the current part."""
        p = self.participants.get(participant)
        if p is None:
            return None
        if self.current_kind == GROUP:
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
        d["current_boards"] = self.current_boards()
        d["mode"] = self.mode
        d["pairs"] = self.pairs()
        return d

    def you(self, role: Role, participant: str | None) -> dict[str, Any]:
        """The part of the workshop's state that is one member's own: their boards."""
        access = self.accesses(role, participant)
        return {
            "role": role.value,
            "participant": participant,
            "board": self.current_board(participant) if participant else None,
            "readable": list(access),
            "writable": [b for b, a in access.items() if a == Access.WRITE],
        }

    def view(self, role: Role, participant: str | None) -> dict[str, Any]:
        """The workshop as one member sees it: public state plus their boards."""
        return {**self.public(), "you": self.you(role, participant)}
