"""Properties of the merge rule: commutative, associative, idempotent, order-free."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from schakel_core.document import Document
from schakel_core.ops import Op

from .strategies import op_lists

EXAMPLES = settings(max_examples=400, deadline=None)


def doc(ops: list[Op]) -> Document:
    return Document(ops)


def merged(*docs: Document) -> Document:
    out = Document()
    for d in docs:
        out.merge(d)
    return out


@EXAMPLES
@given(op_lists(tag=0), op_lists(tag=1))
def test_merge_is_commutative(a: list[Op], b: list[Op]) -> None:
    da, db = doc(a), doc(b)
    assert merged(da, db) == merged(db, da)


@EXAMPLES
@given(op_lists(tag=0), op_lists(tag=1), op_lists(tag=2))
def test_merge_is_associative(a: list[Op], b: list[Op], c: list[Op]) -> None:
    da, db, dc = doc(a), doc(b), doc(c)
    left = merged(merged(da, db), dc)
    right = merged(da, merged(db, dc))
    assert left == right


@EXAMPLES
@given(op_lists())
def test_merge_is_idempotent(a: list[Op]) -> None:
    da = doc(a)
    assert merged(da, da) == da
    again = doc(a)
    for op in a:
        again.apply(op)
    assert again == da


@EXAMPLES
@given(op_lists(), st.randoms(use_true_random=False))
def test_any_order_and_duplication_gives_one_state(ops: list[Op], rnd: object) -> None:
    import random

    assert isinstance(rnd, random.Random)
    shuffled = ops + rnd.sample(ops, k=len(ops) // 2)  # duplicates
    rnd.shuffle(shuffled)
    assert doc(shuffled) == doc(ops)
    assert doc(shuffled).visible() == doc(ops).visible()


@EXAMPLES
@given(op_lists())
def test_the_highest_clock_of_each_field_wins(ops: list[Op]) -> None:
    d = doc(ops)
    for op in ops:
        best = max(
            (o for o in ops if (o.id, o.field) == (op.id, op.field)),
            key=lambda o: (o.counter, o.client),
        )
        assert d.fields[op.id][op.field].value == best.value


@EXAMPLES
@given(op_lists())
def test_state_as_ops_rebuilds_the_document(ops: list[Op]) -> None:
    d = doc(ops)
    assert Document(d.ops()) == d


@EXAMPLES
@given(
    op_lists(),
    st.lists(
        st.tuples(
            st.sampled_from(["a1", "a2"]),
            st.lists(st.sampled_from(["pusher", "joiner", "schakel"]), unique=True),
            st.integers(1, 5),
            st.sampled_from(["old1", "old2"]),
        ),
        max_size=4,
        unique_by=lambda t: (t[2], t[3]),
    ),
    st.randoms(use_true_random=False),
)
def test_stored_roles_lists_merge_with_role_registers_in_any_order(
    ops: list[Op], legacy: list[tuple[str, list[str], int, str]], rnd: object
) -> None:
    """Boards stored before each role had its own register: their ``roles`` ops merge
    with new per-role ops to one state, whatever the order."""
    import random

    assert isinstance(rnd, random.Random)
    old = [Op(i, "actor", "roles", roles, c * 1000 + 7, who) for i, roles, c, who in legacy]
    everything = ops + old
    shuffled = list(everything)
    rnd.shuffle(shuffled)
    assert doc(shuffled) == doc(everything)
    assert all(o.field != "roles" for o in doc(everything).ops())
