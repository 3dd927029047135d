"""Across the boards of one workshop: the actors that several groups named.

Labels are matched after :func:`~schakel_analysis.graph.normalise_label` (case, spaces,
punctuation, diacritics), then *fuzzily*, so that spelling variants meet: two labels are
the same actor when their edit distance (Levenshtein) is at most 0 for labels of up to 4
characters, 1 up to 8 and 2 above (``"Burgemeester"`` and ``"Burgmeester"`` meet;
``"Imam"`` and ``"Iman"`` stay apart), compared as written and with their words sorted
(``"gemeente Utrecht"`` and ``"Utrecht gemeente"``). The placeholder a tablet gives a new
actor (``Nieuwe actor`` / ``New actor``) and blank labels never match.

For each actor named on two or more boards the result lists how each board placed it
(roles, stance, influence) and where the boards disagree: roles (boards that marked roles
marked different ones), stance (one board puts it on a pole, another in the middle or on
the other pole; poles are compared by the names the groups gave them where they did) and
influence (a spread of two or more on the tower).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .graph import Objects, build, normalise_label
from .texts import ROLE_NAMES, Text

PLACEHOLDERS = frozenset({"nieuwe actor", "new actor"})
INFLUENCE_SPREAD = 2


@dataclass(frozen=True, slots=True)
class Placement:
    board: str
    actor: str
    label: str
    roles: list[str]
    stance: str
    pole_name: str  # the name of the actor's pole on that board, if it has one
    influence: int | None


@dataclass(frozen=True, slots=True)
class SharedActor:
    name: str  # the spelling most boards use
    boards: list[str]
    placements: list[Placement]
    disagree: list[str]  # any of "roles", "stance", "influence"
    text: Text | None = None
    variants: list[str] = field(default_factory=list)


def _limit(a: str, b: str) -> int:
    longest = max(len(a), len(b))
    return 0 if longest <= 4 else 1 if longest <= 8 else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of a and b, or ``limit + 1`` as soon as it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return min(prev[-1], limit + 1)


def same_actor(a: str, b: str) -> bool:
    """Whether two normalised labels name the same actor (module docstring)."""
    if a == b:
        return True
    limit = _limit(a, b)
    if limit and edit_distance(a, b, limit) <= limit:
        return True
    sa, sb = " ".join(sorted(a.split())), " ".join(sorted(b.split()))
    return sa == sb or bool(limit and edit_distance(sa, sb, limit) <= limit)


def _clusters(keys: list[str]) -> dict[str, str]:
    """Union of similar labels: each key -> its cluster's representative key."""
    parent = {k: k for k in keys}

    def find(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    ordered = sorted(keys, key=lambda k: (len(k), k))
    for x, a in enumerate(ordered):
        for b in ordered[x + 1 :]:
            if len(b) - len(a) > 2:
                break
            if same_actor(a, b):
                ra, rb = find(a), find(b)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
    return {k: find(k) for k in keys}


def _stance_key(p: Placement) -> str:
    if p.stance in ("pole_a", "pole_b"):
        return "pole:" + (normalise_label(p.pole_name) or p.stance)
    return p.stance


def _disagreements(placements: list[Placement]) -> list[str]:
    out = []
    marked = {frozenset(p.roles) for p in placements if p.roles}
    if len(marked) > 1:
        out.append("roles")
    stances = {_stance_key(p) for p in placements if p.stance != "unknown"}
    if len(stances) > 1:
        out.append("stance")
    levels = [p.influence for p in placements if p.influence is not None]
    if levels and max(levels) - min(levels) >= INFLUENCE_SPREAD:
        out.append("influence")
    return out


_STANCE_WORDS: dict[str, Text] = {
    "middle": {"nl": "in het midden", "en": "in the middle"},
    "unknown": {"nl": "zonder positie", "en": "no position"},
    "pole_a": {"nl": "pool A", "en": "pole A"},
    "pole_b": {"nl": "pool B", "en": "pole B"},
}


def _describe(p: Placement, board: Text, lang: str) -> str:
    parts = []
    if p.roles:
        parts.append(", ".join(ROLE_NAMES[r][lang] for r in p.roles if r in ROLE_NAMES))
    if p.stance in ("pole_a", "pole_b") and p.pole_name.strip():
        parts.append(p.pole_name.strip())
    else:
        parts.append(_STANCE_WORDS[p.stance][lang])
    if p.influence is not None:
        parts.append(("invloed " if lang == "nl" else "influence ") + str(p.influence))
    return f"{board[lang]}: {'; '.join(parts)}"


def _question(name: str, placements: list[Placement], labels: Mapping[str, Text]) -> Text:
    out: Text = {}
    for lang in ("nl", "en"):
        detail = " · ".join(_describe(p, labels[p.board], lang) for p in placements)
        ask = "Waar zit het verschil?" if lang == "nl" else "Where does the difference lie?"
        intro = (
            f"De groepen plaatsen {name} verschillend"
            if lang == "nl"
            else f"The groups place {name} differently"
        )
        out[lang] = f"{intro} ({detail}). {ask}"
    return out


def shared_actors(
    boards: Sequence[tuple[str, Objects]], labels: Mapping[str, Text] | None = None
) -> list[SharedActor]:
    """The actors named on two or more of ``boards`` ((board id, visible objects) pairs),
    with how each board placed them; ``labels`` names the boards in the questions."""
    labels = labels or {}
    found: list[tuple[str, Placement]] = []
    for board, objects in boards:
        g = build(objects)
        for a in g.actors.values():
            key = normalise_label(a.label)
            if not key or key in PLACEHOLDERS:
                continue
            pole = g.pole_name(a.stance) if a.on_pole else ""
            found.append(
                (
                    key,
                    Placement(
                        board, a.id, a.label.strip(), sorted(a.roles), a.stance, pole, a.influence
                    ),
                )
            )
    cluster = _clusters(sorted({k for k, _ in found}))
    groups: dict[str, list[Placement]] = {}
    for key, p in found:
        groups.setdefault(cluster[key], []).append(p)
    out: list[SharedActor] = []
    for members in groups.values():
        boards_in = sorted({p.board for p in members})
        if len(boards_in) < 2:
            continue
        members.sort(key=lambda p: (p.board, p.actor))
        spellings: dict[str, int] = {}
        keys: dict[str, int] = {}
        for p in members:
            spellings[p.label] = spellings.get(p.label, 0) + 1
            keys[normalise_label(p.label)] = keys.get(normalise_label(p.label), 0) + 1
        # The most common form (on a tie the longer: a typo drops letters more often than
        # it adds them), then its most common spelling (capitalised first).
        key = max(keys.items(), key=lambda kv: (kv[1], len(kv[0]), kv[0]))[0]
        name = max(
            (lab for lab in spellings if normalise_label(lab) == key),
            key=lambda lab: (spellings[lab], lab[:1].isupper(), lab),
        )
        disagree = _disagreements(members)
        board_labels = {b: labels.get(b, {"nl": b, "en": b}) for b in boards_in}
        out.append(
            SharedActor(
                name=name,
                boards=boards_in,
                placements=members,
                disagree=disagree,
                text=_question(name, members, board_labels) if disagree else None,
                variants=sorted(spellings),
            )
        )
    out.sort(key=lambda s: (-len(s.boards), normalise_label(s.name)))
    return out


def to_dicts(shared: list[SharedActor]) -> list[dict[str, Any]]:
    from .board import plain

    out: list[dict[str, Any]] = plain(shared)
    return out
