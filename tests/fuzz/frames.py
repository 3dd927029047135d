"""Frames for the fuzzer: Hypothesis strategies drawn from the schema, and byte mutations.

Structured frames (:func:`messages`) cover every client message type, and in ``ops`` every
object type and every field of it, with values that are valid for the field, valid for
another field, or junk of any msgpack type; fields go missing, get the wrong type, or
come with unknown keys. :class:`Mutator` then damages the bytes of such frames: bit
flips, insertions and deletions, truncation, splices of two frames, repeated slices,
msgpack headers swapped for other size classes, and values nested deep.
"""

from __future__ import annotations

import math
import random
from typing import Any

import msgpack
from hypothesis import strategies as st

from schakel_core.schema import MAX_COORD, TYPES, Field
from tests.unit.strategies import COLOURS, field_values

MESSAGE_TYPES = ("hello", "subscribe", "unsubscribe", "ops", "presence", "ping", "control")
WEIGHTED = (*MESSAGE_TYPES, "ops", "ops", "ops", "ops", "presence")  # batches reach the store
IDS = ("a1", "a2", "r1", "n1", "i1", "meta", "x")


def junk() -> st.SearchStrategy[Any]:
    """Any msgpack value, edge cases first."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.sampled_from([0, -1, 1, 2**31, 2**53 - 1, 2**53, 2**63 - 1, -(2**63)]),
        st.integers(-(2**63), 2**64 - 1),  # what msgpack can carry
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([math.nan, math.inf, -0.0, 1e300, MAX_COORD + 1]),
        st.text(max_size=20),
        st.sampled_from(["", "\x00", "nl-1\n", "a" * 65, "é" * 41, "#12345", "red"]),
        st.binary(max_size=16),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=6), st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=6,
    )


def too_long(f: Field) -> st.SearchStrategy[Any]:
    """A value just over the field's size limit (``too_large``), else junk."""
    if f.type == "string":
        return st.just("x" * (f.max_len + 1))
    if f.type == "numbers":
        return st.just([0] * (f.max_len + f.group))
    return junk()


def valid_value(f: Field) -> st.SearchStrategy[Any]:
    """A value the schema accepts for ``f``, its edges included."""
    values = field_values(f, refs=("a1", "a2", "x"), coord=MAX_COORD, max_text=60)
    if f.type == "string":
        return st.one_of(values, st.just("x" * f.max_len))
    if f.type == "point":
        return st.one_of(values, st.just([-MAX_COORD, MAX_COORD]))
    return values


def mostly(draw: st.DrawFn, good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> Any:
    """``good`` nine times in ten, else ``bad`` (``st.one_of`` would weigh them equally)."""
    return draw(good if draw(st.integers(0, 9)) else bad)


# Per (type, field): a valid value, and what is not (junk, or one over the limit).
# (Built once: making strategies on every draw is what makes Hypothesis slow.)
VALID = {(t, f): valid_value(spec) for t, fields in TYPES.items() for f, spec in fields.items()}
INVALID = {
    (t, f): st.one_of(junk(), too_long(spec))
    for t, fields in TYPES.items()
    for f, spec in fields.items()
}
FIELDS = st.sampled_from(sorted(VALID))
OWN_IDS = {"meta": ("meta",), "actor": ("a1", "a2"), "relation": ("r1",), "note": ("n1",)}


@st.composite
def op(draw: st.DrawFn, client: str, counter: int) -> Any:
    """``[id, type, field, value, counter, client]``, mostly valid, sometimes not."""
    obj_type, field = draw(FIELDS)
    value = mostly(draw, VALID[(obj_type, field)], INVALID[(obj_type, field)])
    ids = OWN_IDS.get(obj_type, ("i1",))
    obj_id = draw(st.sampled_from(ids if draw(st.integers(0, 9)) else IDS))
    wire = [obj_id, obj_type, field, value, counter + draw(st.integers(0, 3)), client]
    if draw(st.integers(0, 14)) == 0:  # break one position
        wire[draw(st.integers(0, 5))] = draw(junk())
    if draw(st.integers(0, 29)) == 0:
        wire = wire[: draw(st.integers(0, 5))] if draw(st.booleans()) else [*wire, 0]
    return wire


@st.composite
def messages(draw: st.DrawFn, boards: list[str], client: str, token: str) -> dict[str, Any]:
    """One client message map of any type, for the fuzzer's boards and client id."""
    kind = draw(st.sampled_from(WEIGHTED))
    board = mostly(draw, st.just(boards[0]), st.one_of(st.sampled_from(boards), junk()))
    ref = mostly(draw, st.integers(0, 2**53 - 1), junk())
    m: dict[str, Any] = {"t": kind}
    match kind:
        case "hello":
            m |= {
                "v": mostly(draw, st.just(2), st.sampled_from([1, 3, None, "2"])),
                "token": draw(st.sampled_from([token, "x", token[:-2]])),
                "client": client,
            }
        case "subscribe":
            m |= {"board": board, "since": draw(st.one_of(st.integers(0, 100), junk())), "ref": ref}
        case "unsubscribe":
            m |= {"board": board}
        case "ops":
            n = draw(st.integers(0, 6)) or draw(st.integers(0, 3))
            counter = draw(st.integers(1, 1000))
            m |= {
                "board": board,
                "ref": ref,
                "ops": [draw(op(client, counter + i)) for i in range(n)],
            }
        case "presence":
            data = draw(
                st.one_of(
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "cursor": st.one_of(
                                st.none(), st.lists(st.floats(), min_size=2, max_size=2)
                            ),
                            "sel": st.lists(st.sampled_from(IDS), max_size=4),
                            "stroke": st.one_of(
                                st.none(), st.lists(st.integers(-9, 9), max_size=9)
                            ),
                            "colour": st.one_of(st.none(), COLOURS),
                        },
                    ),
                    junk(),
                )
            )
            m |= {"board": board, "data": data}
        case "ping":
            m |= {"n": draw(st.one_of(st.integers(0, 2**53 - 1), junk()))}
        case "control":
            m |= {
                "ref": ref,
                "action": draw(st.sampled_from(["lock", "next", "spotlight", "joining", "x"])),
                "args": draw(
                    st.one_of(st.dictionaries(st.text(max_size=8), junk(), max_size=3), junk())
                ),
            }
    if draw(st.integers(0, 14)) == 0 and len(m) > 1:  # drop a field
        del m[draw(st.sampled_from(sorted(k for k in m if k != "t")))]
    if draw(st.integers(0, 14)) == 0:  # an unknown key, or a wrong type for a known one
        key = draw(st.sampled_from([*m, "zz"]))
        m[key] = draw(junk())
    return m


def pack(value: Any) -> bytes:
    """msgpack as the clients write it (str as str, bytes as bin)."""
    data: bytes = msgpack.packb(value, use_bin_type=True)
    return data


class Mutator:
    """Byte-level damage to valid frames, reproducible from ``seed``."""

    def __init__(self, seed: int) -> None:
        self.rnd = random.Random(seed)

    def crossover(self, frame: bytes, other: bytes) -> bytes:
        """A structured mix: the fields of one message with some of another's (values of
        the right shape in the wrong message), or ``frame`` itself if either is not a map."""
        try:
            a = msgpack.unpackb(frame, raw=False, strict_map_key=False)
            b = msgpack.unpackb(other, raw=False, strict_map_key=False)
        except (ValueError, TypeError, msgpack.ExtraData):
            return frame
        if type(a) is not dict or type(b) is not dict:
            return frame
        for key in b:
            if self.rnd.random() < 0.3:
                a[key] = b[key]
        return pack(a)

    def mutate(self, frame: bytes, other: bytes) -> bytes:
        r = self.rnd
        data = bytearray(frame)
        for _ in range(r.choice((1, 1, 1, 2, 3, 8))):
            action = r.randrange(10)
            i = r.randrange(len(data) + 1) if data else 0
            if action == 0 and data:  # flip a bit
                j = min(i, len(data) - 1)
                data[j] ^= 1 << r.randrange(8)
            elif action == 1:  # insert bytes
                data[i:i] = bytes(r.randrange(256) for _ in range(r.choice((1, 2, 4, 9))))
            elif action == 2 and data:  # delete a slice
                del data[i : i + r.choice((1, 2, 5, 20))]
            elif action == 3:  # truncate
                del data[i:]
            elif action == 4:  # splice with another frame
                j = r.randrange(len(other) + 1)
                data[i:] = other[j:]
            elif action == 5 and data:  # repeat a slice
                j = r.randrange(i, len(data) + 1)
                data[j:j] = data[i:j] * r.choice((1, 2, 10))
            elif action == 6 and data:  # an interesting byte: msgpack headers and edges
                j = min(i, len(data) - 1)
                data[j] = r.choice(
                    (
                        0x00,
                        0x7F,
                        0x80,
                        0x8F,
                        0x90,
                        0x9F,
                        0xA0,
                        0xC0,
                        0xC1,
                        0xC2,
                        0xC3,
                        0xC4,
                        0xCA,
                        0xCB,
                        0xCF,
                        0xD3,
                        0xD9,
                        0xDC,
                        0xDD,
                        0xDE,
                        0xDF,
                        0xE0,
                        0xFF,
                    )
                )
            elif action == 7 and data:  # a length field made huge
                j = min(i, len(data) - 1)
                data[j : j + 1] = bytes((r.choice((0xDB, 0xDD, 0xDF)), 0xFF, 0xFF, 0xFF, 0xFF))
            elif action == 8:  # append trailing bytes
                data += bytes(r.randrange(256) for _ in range(r.choice((1, 3))))
            elif action == 9:  # a value nested deep (past a decoder's depth, or not)
                depth = r.choice((2, 100, 2_000, 20_000))
                data[i:i] = bytes((r.choice((0x91, 0xDC)),)) * depth + b"\x00"
        return bytes(data)
