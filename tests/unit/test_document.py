"""The merge rule and the document, by example."""

from __future__ import annotations

import pytest

from schakel_core.document import Document, Register
from schakel_core.errors import Conflict
from schakel_core.ops import Op


def op(
    obj: str, field: str, value: object, counter: int, client: str = "c1", typ: str = "actor"
) -> Op:
    return Op(obj, typ, field, value, counter, client)


def test_apply_reports_whether_the_op_won() -> None:
    d = Document()
    assert d.apply(op("a1", "label", "x", 2))
    assert not d.apply(op("a1", "label", "older", 1))
    assert not d.apply(op("a1", "label", "x", 2))  # duplicate
    assert d.apply(op("a1", "label", "newer", 3))
    assert d.get("a1") == {"label": "newer"}
    assert d.fields["a1"]["label"] == Register("newer", 3, "c1")
    assert d.max_counter == 3


def test_ties_are_broken_by_client_id() -> None:
    a, b = op("a1", "label", "A", 5, "alice"), op("a1", "label", "B", 5, "bob")
    assert Document([a, b]).get("a1") == Document([b, a]).get("a1") == {"label": "B"}


def test_a_type_is_fixed_at_first_sight() -> None:
    d = Document([op("x", "label", "y", 1)])
    with pytest.raises(Conflict, match="is a actor, not a note"):
        d.apply(op("x", "text", "y", 2, typ="note"))


def test_a_clock_writes_one_value_per_field() -> None:
    d = Document([op("x", "label", "y", 1)])
    with pytest.raises(Conflict, match="already wrote"):
        d.apply(op("x", "label", "z", 1))


def test_a_batch_is_merged_whole_or_not_at_all() -> None:
    d = Document([op("x", "label", "y", 1)])
    with pytest.raises(Conflict):
        d.apply_batch([op("z", "label", "fine", 2), op("x", "text", "no", 3, typ="note")])
    assert d.get("z") is None
    with pytest.raises(Conflict, match="two types"):
        d.apply_batch([op("q", "label", "a", 4), op("q", "text", "b", 5, typ="note")])
    with pytest.raises(Conflict, match="twice"):
        d.apply_batch([op("q", "label", "a", 4), op("q", "label", "b", 4)])
    stored = d.apply_batch(
        [op("q", "label", "a", 4), op("q", "label", "a", 4), op("x", "label", "old", 0)]
    )
    assert stored == [op("q", "label", "a", 4)]


def test_deleted_objects_are_hidden_and_can_be_restored() -> None:
    d = Document([op("a1", "label", "x", 1), op("a1", "deleted", True, 2)])
    assert d.is_deleted("a1")
    assert d.visible() == {}
    assert d.get("a1") == {"label": "x", "deleted": True}
    d.apply(op("a1", "deleted", False, 3))
    assert d.visible() == {"a1": {"label": "x", "deleted": False, "type": "actor"}}


def test_relations_follow_their_actors() -> None:
    d = Document(
        [
            op("a1", "label", "x", 1),
            op("a2", "label", "y", 2),
            op("r1", "source", "a1", 3, typ="relation"),
            op("r1", "target", "a2", 4, typ="relation"),
        ]
    )
    assert d.is_visible("r1")
    d.apply(op("a2", "deleted", True, 5))
    assert not d.is_visible("r1")
    assert d.get("r1") == {"source": "a1", "target": "a2"}  # hidden, not lost
    d.apply(op("a2", "deleted", False, 6))
    assert d.is_visible("r1")
    assert not d.is_visible("nope")
    d.apply(op("r2", "source", "a1", 7, typ="relation"))
    assert not d.is_visible("r2")  # no target yet


def test_inverse_gives_undo() -> None:
    d = Document()
    create = op("a1", "label", "x", 1)
    assert d.inverse(create, 9, "c1") == op("a1", "deleted", True, 9)
    d.apply(create)
    assert d.inverse(op("a1", "stance", "middle", 2), 9, "c1") is None  # nothing to restore
    assert d.inverse(op("a1", "label", "y", 2), 9, "c1") == op("a1", "label", "x", 9)


def test_state_ops_len_eq_repr() -> None:
    d = Document([op("b", "label", "x", 1), op("a", "label", "y", 2), op("a", "influence", 3, 3)])
    assert [(o.id, o.field) for o in d.ops()] == [
        ("a", "influence"),
        ("a", "label"),
        ("b", "label"),
    ]
    assert d.state()["a"] == {
        "type": "actor",
        "fields": {"influence": [3, 3, "c1"], "label": ["y", 2, "c1"]},
    }
    assert len(d) == 2
    assert "2 objects" in repr(d)
    assert d != Document()
    assert (d == object()) is False
    other = Document()
    other.merge(d)
    assert other == d


# ------------------------------------------------------------------ roles


def test_concurrent_toggles_of_different_roles_both_survive() -> None:
    base = op("a1", "label", "Imam", 1)
    ann = op("a1", "role_pusher", True, 5, "ann")  # Ann and Bo toggle at the same moment,
    bo = op("a1", "role_schakel", True, 5, "bo")  # each from the same state
    for order in ([base, ann, bo], [bo, base, ann], [ann, bo, base]):
        d = Document(order)
        assert d.visible()["a1"]["roles"] == ["pusher", "schakel"]
    off = op("a1", "role_pusher", False, 6, "bo")
    d = Document([base, ann, bo, off])
    assert d.visible()["a1"] == {"type": "actor", "label": "Imam", "roles": ["schakel"]}
    assert d.get("a1") == {"label": "Imam", "role_pusher": False, "role_schakel": True}


def test_an_actor_without_role_registers_has_no_roles_key() -> None:
    assert "roles" not in Document([op("a1", "label", "x", 1)]).visible()["a1"]


def test_a_stored_roles_op_is_applied_as_one_register_per_role() -> None:
    """Boards stored before each role had its own register hold ``roles`` lists."""
    legacy = op("a1", "roles", ["mover", "pusher"], 3, "old")
    d = Document([op("a1", "label", "x", 1), legacy])
    assert d.visible()["a1"]["roles"] == ["pusher", "mover"]
    assert d.state()["a1"]["fields"]["role_mover"] == [True, 3, "old"]
    assert d.state()["a1"]["fields"]["role_joiner"] == [False, 3, "old"]
    assert "roles" not in d.fields["a1"]
    # A newer toggle beats the old list; an older one loses to it, in any order.
    newer, older = op("a1", "role_mover", False, 4, "new"), op("a1", "role_joiner", True, 2, "x")
    for order in ([legacy, newer, older], [older, newer, legacy]):
        assert Document(order).visible()["a1"]["roles"] == ["pusher"]
    # Its clock is reused per role: the same list again changes nothing, another conflicts.
    assert not d.apply(legacy)
    with pytest.raises(Conflict):
        d.apply(op("a1", "roles", ["joiner"], 3, "old"))
    assert [o.field for o in d.ops()].count("roles") == 0


# ------------------------------------------------------------- counters


def test_a_counter_may_not_jump_far_above_the_board() -> None:
    from schakel_core.errors import InvalidOp
    from schakel_core.schema import MAX_COUNTER, MAX_COUNTER_JUMP

    d = Document([op("a1", "label", "x", 10)])
    with pytest.raises(InvalidOp, match="above the highest counter"):
        d.apply_batch([op("a1", "label", "y", MAX_COUNTER)], jump_from=0)
    assert d.max_counter == 10
    assert d.apply_batch([op("a1", "label", "y", 10 + MAX_COUNTER_JUMP)], jump_from=0)
    # What the writer has seen elsewhere counts too (one counter for every board).
    e = Document()
    assert e.apply_batch(
        [op("a1", "label", "y", 5 * MAX_COUNTER_JUMP)], jump_from=4 * MAX_COUNTER_JUMP
    )
    # Replicas take what the hub stored, whatever its counter.
    assert Document([op("a1", "label", "x", MAX_COUNTER)]).max_counter == MAX_COUNTER


# -------------------------------------------------------------- journal


def test_a_journal_takes_a_merge_back() -> None:
    from schakel_core.document import Journal

    d = Document([op("a1", "label", "x", 1), op("a1", "stance", "middle", 2)])
    before = d.state()
    journal = Journal(d)
    d.apply_batch([op("a1", "label", "y", 3), op("a2", "label", "new", 4)], journal=journal)
    d.apply_batch([op("a1", "label", "z", 5), op("a1", "role_mover", True, 6)], journal=journal)
    assert d.max_counter == 6 and len(d) == 2
    d.rollback(journal)
    assert d.state() == before and d.max_counter == 2 and "a2" not in d.types
    assert journal.changes == []
