"""The Python client's replica: optimistic edits, acks, resync, undo/redo."""

from __future__ import annotations

from schakel_client.replica import Replica
from schakel_core.ops import Op
from schakel_core.schema import MAX_OPS_PER_BATCH


def op(field: str, value: object, counter: int, client: str = "me", obj: str = "a1") -> Op:
    return Op(obj, "actor", field, value, counter, client)


def test_local_edits_batch_ack_and_resend() -> None:
    r = Replica("b")
    r.local([op("label", "x", 1), op("pos", [0, 0], 2)])
    assert r.view()["a1"]["label"] == "x"
    assert r.pending == 2
    assert r.take_batch(1) == [op("label", "x", 1), op("pos", [0, 0], 2)]
    assert r.take_batch(2) is None
    r.local([op("label", "y", 3)])
    r.take_batch(2)
    r.requeue_inflight()  # reconnect: both batches go again, in order
    assert r.unsent == [op("label", "x", 1), op("pos", [0, 0], 2), op("label", "y", 3)]
    r.take_batch(3)
    r.acked(3)
    assert r.pending == 0
    r.local([op("label", "z", 4)])
    r.take_batch(4)
    assert r.refused(4) == [op("label", "z", 4)]


def test_batches_respect_the_limit() -> None:
    r = Replica("b")
    r.local([op("influence", 1, i) for i in range(1, MAX_OPS_PER_BATCH + 2)])
    first = r.take_batch(1)
    assert first is not None and len(first) == MAX_OPS_PER_BATCH
    assert len(r.unsent) == 1


def test_sync_full_keeps_own_unacked_edits() -> None:
    r = Replica("b")
    r.local([op("label", "mine", 10)])
    r.take_batch(1)
    r.local([op("stance", "middle", 11)])
    r.on_sync(5, True, [op("label", "theirs", 3, "other"), op("influence", 2, 4, "other")])
    assert r.view()["a1"] == {"label": "mine", "stance": "middle", "influence": 2, "type": "actor"}
    assert r.seq == 5 and r.synced
    r.on_sync(7, False, [op("influence", 3, 12, "other")])
    assert r.view()["a1"]["influence"] == 3


def test_updates_apply_once_and_in_order() -> None:
    r = Replica("b")
    assert r.on_update(1, 2, [op("label", "a", 1, "o"), op("label", "b", 2, "o")])
    assert r.on_update(2, 2, [op("label", "stale", 99, "o")])  # already seen
    assert r.view()["a1"]["label"] == "b"
    assert r.on_update(3, 4, [op("label", "c", 3, "o"), op("label", "d", 4, "o")])
    assert r.seq == 4
    assert r.view()["a1"]["label"] == "d"


def test_an_update_after_a_gap_is_refused_and_changes_nothing() -> None:
    r = Replica("b")
    assert not r.on_update(3, 4, [op("label", "x", 4, "o")])  # 1..2 missing
    assert r.seq == 0 and r.view() == {}


def test_v2_ack_moves_the_seq_and_own_ops_are_never_sent_back() -> None:
    """No echo: an update may skip the own ops' seqs; the ack says all through its seq
    has arrived."""
    r = Replica("b")
    r.local([op("label", "mine", 5)])
    r.take_batch(1)
    assert r.on_update(1, 2, [op("stance", "pole_a", 3, "o")])  # seq 2 was mine
    assert r.on_ack(1, 2) == [op("label", "mine", 5)]
    assert r.seq == 2 and r.pending == 0
    assert r.on_ack(1, 1) == [] and r.seq == 2  # (never backwards)
    assert r.view()["a1"] == {"label": "mine", "stance": "pole_a", "type": "actor"}


def test_undo_redo_of_own_edits_while_others_edit() -> None:
    r = Replica("b")
    r.local([op("label", "x", 1)])  # creation: undo deletes
    r.local([op("label", "y", 2)])
    r.on_update(1, 1, [op("stance", "pole_a", 3, "other")])  # someone else's edit stays
    assert r.undo(10, "me") == [op("label", "x", 10)]
    assert r.view()["a1"]["label"] == "x"
    assert r.undo(11, "me") == [op("deleted", True, 11)]
    assert r.view() == {}
    assert r.undo(12, "me") == []
    assert r.redo(12, "me") == [op("deleted", False, 12)]
    assert r.view()["a1"] == {"label": "x", "stance": "pole_a", "deleted": False, "type": "actor"}
    assert r.redo(13, "me") == [op("label", "y", 13)]
    assert r.redo(14, "me") == []
    r.local([op("influence", 2, 15)])
    assert r.redo_stack == []


def test_acks_are_cumulative() -> None:
    r = Replica("b")
    for ref in (1, 2, 3):
        r.local([op("influence", ref, ref)])
        r.take_batch(ref)
    r.acked(2)  # settles 1 and 2
    assert list(r.inflight) == [3]
    r.requeue_inflight()
    r.acked(3)  # requeued meanwhile: it goes again, nothing is lost
    assert r.pending == 1
