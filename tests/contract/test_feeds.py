"""The feeds (BoardFeed, WorkshopFeed): what other hubs store and publish reaches a hub
that follows the board or workshop, and nothing a hub stored or published itself comes
back to it. Over every store; what crosses hubs, over every store shared by hubs
(two stores on one location are two hubs)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from schakel.stores.base import Batch, Store, StoredOps
from schakel_core.document import Document
from schakel_core.ops import Op

from .conftest import StoreFactory

B1 = "w0000001:g1"
W1 = "w0000001"
W2 = "w0000002"


def op(obj: str, counter: int, client: str = "c1") -> Op:
    return Op(obj, "actor", "label", f"{obj} at {counter}", counter, client)


class Heard:
    """Everything a store's listeners were handed."""

    def __init__(self, store: Store) -> None:
        self.updates: list[tuple[str, int, list[bytes]]] = []
        self.doc = Document()
        self.seq = 0
        self.presence: list[tuple[str, bytes]] = []
        self.events: list[tuple[str, bytes]] = []
        self.live: list[tuple[str, bool]] = []
        store.listen(self.on_update, lambda board, frame: self.presence.append((board, frame)))
        store.listen_events(
            lambda wid, event: self.events.append((wid, event)),
            lambda wid, live: self.live.append((wid, live)),
        )

    def on_update(self, board: str, seq: int, stored: StoredOps) -> None:
        assert seq - len(stored) + 1 <= self.seq + 1, "the feed handed over a gap"
        self.updates.append((board, seq, stored.packed))
        for o in stored.ops:
            self.doc.apply(o)
        self.seq = max(self.seq, seq)

    async def until(self, pred: Callable[[], bool], timeout: float = 5) -> None:
        deadline = time.monotonic() + timeout
        while not pred():
            assert time.monotonic() < deadline, "the feed did not deliver in time"
            await asyncio.sleep(0.01)


async def test_a_hub_is_never_handed_what_it_published(store: Store) -> None:
    """Its own presence and events never come back. Its own ops may (a catch-up that
    read the log while its batch was being stored), numbered as stored and without a gap,
    so the hub drops them by their number, as it drops any op it delivered already."""
    heard = Heard(store)
    store.watch(B1)
    store.watch_workshop(W1)
    await store.load(B1, 0)
    stored = []
    for c in range(1, 6):
        [r] = await store.apply([Batch(B1, [op(f"a{c}", c)])])
        stored += r.packed
    await store.publish_presence([(B1, b"my presence")])
    await store.publish_event(W1, b"my event")
    await asyncio.sleep(0.3)
    assert (heard.presence, heard.events) == ([], [])
    for _, seq, packed in heard.updates:
        assert packed == stored[seq - len(packed) : seq]
    store.unwatch(B1)
    store.unwatch_workshop(W1)
    store.unwatch_workshop(W2)  # never watched: nothing happens


async def test_ops_presence_and_events_cross_hubs(make_shared_store: StoreFactory) -> None:
    a, b = await make_shared_store(), await make_shared_store()
    heard_a, heard_b = Heard(a), Heard(b)
    b.watch(B1)
    b.watch_workshop(W1)
    assert (await b.load(B1, 0)).seq == 0
    await heard_b.until(lambda: (W1, True) in heard_b.live)  # the events' feed is live
    # (the board's feed starts with the room's load; a live events' feed shows that the
    # subscriptions, made together, have been taken)
    await a.publish_event(W1, b"changed v2")
    await a.publish_event(W2, b"another workshop's")
    await a.publish_presence([(B1, b"a's presence")])
    for c in range(1, 21):
        await a.apply([Batch(B1, [op(f"a{c}", c)])])
    await heard_b.until(lambda: heard_b.seq == 20)
    await heard_b.until(lambda: heard_b.events == [(W1, b"changed v2")])
    await heard_b.until(lambda: heard_b.presence == [(B1, b"a's presence")])
    assert heard_b.doc == Document((await b.load(B1, 0)).ops)
    assert (heard_a.updates, heard_a.events, heard_a.presence) == ([], [], [])
    # events and board frames keep to their own channels
    assert all(board == B1 for board, _, _ in heard_b.updates)
    b.unwatch_workshop(W1)
    b.unwatch(B1)
    await a.publish_event(W1, b"not followed any more")
    await a.apply([Batch(B1, [op("late", 99)])])
    await asyncio.sleep(0.3)
    assert heard_b.events == [(W1, b"changed v2")]
    assert heard_b.seq == 20


async def test_events_published_while_the_store_is_away_are_dropped_not_raised(
    store: Store,
) -> None:
    """Publishing never raises for a workshop nobody follows, here or elsewhere."""
    await store.publish_event("w0000404", b"nobody listens")
    await store.publish_presence([("w0000404:g1", b"nobody listens")])
