"""The core's pure client session: hello, subscribe and resume, batches, acks, the v2
seq rules and every error path, with frames in and frames out (no socket)."""

from __future__ import annotations

from schakel_core import client_session as cs
from schakel_core import messages as m
from schakel_core.errors import CloseCode
from schakel_core.ops import Op

B = "w:g1"
WELCOME = m.Welcome("c", "participant", "w", "p", [B], [B], 0.0, {})


def op(counter: int, client: str = "me", field: str = "label", obj: str = "a1") -> Op:
    return Op(obj, "actor", field, f"v{counter}", counter, client)


def sent(s: cs.ClientSession[cs.BoardSession]) -> list[m.ClientMessage]:
    return [m.decode_client(f) for f in s.data_to_send()]


def frame(*messages: m.ServerMessage) -> bytes:
    return b"".join(m.encode(x) for x in messages)


def opened() -> cs.ClientSession[cs.BoardSession]:
    s: cs.ClientSession[cs.BoardSession] = cs.ClientSession("tok", "me", "Ann")
    s.connect()
    assert sent(s) == [m.Hello("tok", "me", "Ann")]
    events = s.receive(frame(WELCOME))
    assert events == [cs.Welcomed(WELCOME), cs.Received(WELCOME)]
    s.subscribe(B)
    assert sent(s) == [m.Subscribe(B, 0, 1)]
    s.receive(frame(m.Sync(B, 2, True, [op(1, "bo"), op(2, "bo", "pos")], 1)))
    return s


def test_hello_welcome_subscribe_sync_and_a_batch_acked() -> None:
    s = opened()
    state = s.boards[B]
    assert state.synced and state.seq == 2 and s.counter == 2
    state.queue([op(s.next_counter())])
    s.flush()
    assert sent(s) == [m.Ops(B, 2, [op(3)])]
    # Others' ops and the ack in one frame: the update skips seq 3 (mine).
    events = s.receive(frame(m.Update(B, 3, 4, [op(4, "bo")]), m.Ack(B, 2, 4, 1)))
    assert [type(e) for e in events] == [cs.Updated, cs.Received, cs.Acked, cs.Received]
    assert events[2] == cs.Acked(B, 2, 4, [op(3)], ())
    assert state.seq == 4 and state.pending == 0 and s.counter == 4


def test_a_sync_in_chunks_is_joined_and_pending_ops_come_with_a_full_sync() -> None:
    s: cs.ClientSession[cs.BoardSession] = cs.ClientSession("tok", "me")
    state = s.subscribe(B)  # before the connection: subscribed after the welcome
    state.queue([op(7)])
    s.connect()
    s.receive(frame(WELCOME))
    assert sent(s)[1:] == [m.Subscribe(B, 0, 1)]
    assert s.receive(frame(m.Sync(B, 1, True, [op(1, "x")], 1, more=True))) == [
        cs.Received(m.Sync(B, 1, True, [op(1, "x")], 1, more=True))
    ]
    events = s.receive(frame(m.Sync(B, 1, True, [op(2, "x")], 1)))
    assert events[0] == cs.Synced(B, 1, True, [op(1, "x"), op(2, "x")], [op(7)])
    assert sent(s) == [m.Ops(B, 2, [op(7)])]  # unsent ops leave once synced


def test_a_gap_resubscribes_and_updates_meanwhile_are_ignored() -> None:
    s = opened()
    assert s.receive(frame(m.Update(B, 4, 4, [op(4, "bo")]))) == [
        cs.Received(m.Update(B, 4, 4, [op(4, "bo")]))
    ]
    assert sent(s) == [m.Subscribe(B, 2, 2)]
    assert not s.boards[B].synced
    s.receive(frame(m.Update(B, 5, 5, [op(5, "bo")])))  # (before the sync: ignored)
    assert s.boards[B].seq == 2
    s.receive(frame(m.Sync(B, 5, False, [op(3, "bo"), op(4, "bo"), op(5, "bo")], 2)))
    assert s.boards[B].seq == 5
    assert s.receive(frame(m.Update(B, 5, 5, [op(5, "bo")])))[0] == cs.Received(
        m.Update(B, 5, 5, [op(5, "bo")])
    )  # a late copy changes nothing


def test_a_reconnect_resumes_from_the_last_seq_and_sends_unacked_batches_again() -> None:
    s = opened()
    state = s.boards[B]
    state.queue([op(3)])
    s.flush()
    sent(s)
    s.connection_lost()
    assert not s.open and not state.synced
    s.flush()
    assert sent(s) == []  # nothing leaves while closed
    s.connect()
    s.receive(frame(WELCOME))
    assert sent(s)[1:] == [m.Subscribe(B, 2, 3)]
    s.receive(frame(m.Sync(B, 3, False, [op(3)], 3)))  # (it was stored before the break)
    assert sent(s) == [m.Ops(B, 4, [op(3)])]  # again: ops are idempotent
    events = s.receive(frame(m.Ack(B, 4, 3, 0, (("a1", "label", 3),))))
    assert events[0] == cs.Acked(B, 4, 3, [op(3)], (("a1", "label", 3),))
    assert state.pending == 0


def test_refusals_for_now_come_back_and_others_are_dropped() -> None:
    s = opened()
    state = s.boards[B]
    for c in (3, 4, 5):
        state.queue([op(c)])
        s.flush()
    assert [x.ref for x in sent(s) if isinstance(x, m.Ops)] == [2, 3, 4]
    rate = m.Error("rate_limited", "slow down", 2, B)
    assert s.receive(frame(rate))[0] == cs.RetryLater(cs.RATE_LIMITED_RETRY_S)
    assert state.unsent == [op(3)] and list(state.inflight) == [3, 4]
    bad = m.Error("invalid_op", "no", 3, B)
    assert s.receive(frame(bad))[0] == cs.Refused(B, 3, bad, [op(4)])
    store = m.Error("store_unavailable", "away", 4, B)
    assert s.receive(frame(store))[0] == cs.RetryLater(cs.STORE_RETRY_S)
    assert state.unsent == [op(5), op(3)] and state.inflight == {}
    # Errors that name no batch of a followed board are only passed on.
    for err in (m.Error("forbidden", "x"), m.Error("conflict", "x", 9, "w:other")):
        assert s.receive(frame(err)) == [cs.Received(err)]


def test_subscribe_refusals() -> None:
    s = opened()
    s.subscribe("w:g2")
    s.subscribe("w:g3")
    assert sent(s) == [m.Subscribe("w:g2", 0, 2), m.Subscribe("w:g3", 0, 3)]
    away = m.Error("store_unavailable", "away", 2, "w:g2")
    assert s.receive(frame(away))[0] == cs.RetryLater(cs.STORE_RETRY_S, "w:g2")
    s.resubscribe("w:g2")
    assert sent(s) == [m.Subscribe("w:g2", 0, 4)]
    no = m.Error("forbidden", "not yours", 3, "w:g3")
    assert s.receive(frame(no))[0] == cs.Refused("w:g3", 3, no, [], subscribe=True)
    s.unsubscribe("w:g3")
    s.unsubscribe("w:nope")
    assert sent(s) == [m.Unsubscribe("w:g3")]
    s.resubscribe("w:nope")  # (not followed: nothing)
    assert sent(s) == []


def test_hello_refused_and_reload() -> None:
    for code, retry, reload in (
        ("store_unavailable", True, False),
        ("auth_failed", False, False),
        ("version_mismatch", False, True),
    ):
        s: cs.ClientSession[cs.BoardSession] = cs.ClientSession("tok", "me")
        s.connect()
        err = m.Error(code, "r")
        assert s.receive(frame(err))[0] == cs.HelloRefused(code, "r", retry, reload)
    assert cs.ClientSession.must_reload(CloseCode.VERSION_MISMATCH)
    assert not cs.ClientSession.must_reload(1000) and not cs.ClientSession.must_reload(None)


def test_raw_batches_other_messages_and_unknown_boards() -> None:
    s = opened()
    ref = s.send_raw_ops(B, [op(3, "me")])
    s.send(m.Ping(4))
    assert sent(s) == [m.Ops(B, ref, [op(3)]), m.Ping(4)]
    assert s.boards[B].acked(99) == []  # an ack of a batch it does not hold
    for msg in (
        m.Update("w:other", 1, 1, [op(9, "x")]),
        m.Ack("w:other", 1, 1, 1),
        m.Sync("w:other", 1, True, [], None),
        m.Pong(4, 1.0),
    ):
        assert s.receive(frame(msg)) == [cs.Received(msg)]
    assert s.counter == 9  # every counter seen counts
