"""Workshop rooms: the connections of each workshop on this hub, and its live state.

Whenever a workshop changes (a facilitator control, a join, a move), :meth:`changed`
re-checks every local subscription against the new access rules (a locked board becomes
read-only; a board the participant may no longer see is closed with ``forbidden``), sends
each connection its own view (``workshop`` message), and tells the other hubs through the
store's feed of workshop events (:class:`~schakel.stores.base.WorkshopFeed`), which they
answer by re-reading the record.

The hub keeps the record of every workshop it has connections of (:meth:`record`), so
a hello or a subscribe reads no Redis. The kept record is replaced by every change made
here, dropped and read again on every event from another hub, dropped while the
store's feed of the workshop's events is down (a hello then reads the store, and meets
an outage as it would without the record kept), and read again when the feed is back.
Reads of a record not kept are coalesced: a storm of hellos makes one read.

A change is sent as one ``workshop`` frame per connection, but the state every member
shares (programme, participants, pairs, session) is encoded once per version and only
the small part that is each person's own (``you``: their boards) per connection. A token
that no longer holds (its participant was removed, or its facilitator or viewer key was
revoked) closes its connections with ``auth_failed`` (4401), on every hub.

A deleted or expired workshop closes its connections here and on the other hubs, drops
their batches still waiting, and tells whoever keeps something of it (:attr:`on_gone`:
the analysis cache).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

from schakel_core import codec
from schakel_core.errors import Forbidden, RequestError
from schakel_core.workshop import Access, Role, Workshop

from .auth import token_problem
from .single_flight import SingleFlight
from .stores.base import WorkshopFeed, Workshops

if TYPE_CHECKING:
    from .connection import Connection
    from .hub import Hub

logger = logging.getLogger(__name__)

VIEWS_AT_ONCE = 16  # workshop views queued per turn of the event loop


class WorkshopStore(Workshops, WorkshopFeed, Protocol):
    """What the workshop rooms use of the store: records, and events between hubs."""


class WorkshopRooms:
    def __init__(self, hub: Hub, store: WorkshopStore) -> None:
        self.hub = hub
        self.store = store
        store.listen_events(self.remote, self.feed)
        self.conns: dict[str, set[Connection]] = {}
        self.cache: dict[str, Workshop] = {}
        self.on_gone: list[Callable[[str], None]] = []  # called with a workshop that went
        self._reads: SingleFlight[str, Workshop | None] = SingleFlight()
        self._shared: tuple[str, int, dict[str, bytes]] | None = None  # the last encoded

    async def record(self, workshop_id: str) -> Workshop | None:
        """The workshop's current record: the one kept here, else read (coalesced)."""
        ws = self.cache.get(workshop_id)
        return ws if ws is not None else await self._read(workshop_id)

    async def _read(self, workshop_id: str) -> Workshop | None:
        """The record as stored now (one read for every caller that asks meanwhile)."""
        return await self._reads.run(workshop_id, lambda: self.store.get_workshop(workshop_id))

    def _keep(self, ws: Workshop) -> bool:
        """Keep ``ws`` if it is newer than the record kept; True if it was. Only records
        of workshops with connections here are kept: only their events are followed."""
        if ws.id not in self.conns:
            return False
        cached = self.cache.get(ws.id)
        if cached is not None and cached.version >= ws.version:
            return False
        self.cache[ws.id] = ws
        return True

    def join(self, conn: Connection, ws: Workshop) -> None:
        conns = self.conns.get(ws.id)
        if conns is None:
            conns = self.conns[ws.id] = set()
            self.store.watch_workshop(ws.id)
        conns.add(conn)
        self._keep(ws)
        self._send_view(conn, self.cache[ws.id])

    def leave(self, conn: Connection, workshop_id: str) -> None:
        conns = self.conns.get(workshop_id)
        if conns is None:
            return
        conns.discard(conn)
        if not conns:
            del self.conns[workshop_id]
            self.cache.pop(workshop_id, None)
            self.store.unwatch_workshop(workshop_id)

    def changed(self, ws: Workshop, *, publish: bool = True) -> None:
        """A new version of ``ws``: apply it to local connections and tell other hubs.

        Access is re-checked for every connection at once; the views go out
        ``VIEWS_AT_ONCE`` connections per turn of the event loop, because sending each
        one costs its socket's compression too (permessage-deflate, per connection):
        200 views in one turn would hold every other board's frames for that long."""
        if self._keep(ws):  # (not an older record arriving late, nor the same again)
            conns = [c for c in list(self.conns.get(ws.id, ())) if self._recheck(c, ws)]
            if len(conns) <= VIEWS_AT_ONCE:
                for conn in conns:
                    self._send_view(conn, ws)
            else:
                self._spawn(self._send_views(ws, conns))
        if publish:
            frame = codec.pack({"t": "changed", "workshop": ws.id, "version": ws.version})
            self._spawn(self.store.publish_event(ws.id, frame))

    def remote(self, workshop_id: str, event: bytes) -> None:
        """An event of the workshop from another hub (a change or a deletion): the kept
        record is old; read it again."""
        self._stale(workshop_id)

    def feed(self, workshop_id: str, live: bool) -> None:
        """The store's feed of the workshop's events started (events may have been
        missed before) or stopped (events will be missed: keep no record until it is
        back)."""
        self._stale(workshop_id, reload=live)

    def _stale(self, workshop_id: str, *, reload: bool = True) -> None:
        """The kept record may be old: drop it (and read it again for the connections)."""
        self.cache.pop(workshop_id, None)
        self._reads.forget(workshop_id)  # a read begun before now may miss the change
        if reload and workshop_id in self.conns:
            self._spawn(self._reload(workshop_id))

    async def _reload(self, workshop_id: str) -> None:
        try:
            ws = await self._read(workshop_id)
        except RequestError as exc:
            logger.warning("could not reload workshop %s: %s", workshop_id, exc.reason)
            return
        if ws is None:
            self.deleted(workshop_id, publish=False)
        else:
            self.changed(ws, publish=False)

    def deleted(self, workshop_id: str, *, publish: bool = True, reason: str = "deleted") -> None:
        """The workshop is gone (``reason``: deleted, or expired): close its connections,
        drop its waiting batches, forget what is kept of it, and (``publish``) have the
        other hubs do the same."""
        self.cache.pop(workshop_id, None)
        self._reads.forget(workshop_id)
        self.hub.forget_workshop(workshop_id)
        text = (
            "the facilitator has ended and deleted this workshop"
            if reason == "deleted"
            else "this workshop has ended and its maps are erased"
        )
        for conn in list(self.conns.get(workshop_id, ())):
            conn.gone(text)
        for forget in self.on_gone:
            forget(workshop_id)
        if publish:
            frame = codec.pack({"t": "deleted", "workshop": workshop_id})
            self._spawn(self.store.publish_event(workshop_id, frame))

    def ended(self, retention_s: float, now: float) -> list[str]:
        """Workshops with connections here that are past their retention: gone, as if
        deleted (the store erases them by itself, or in its sweep)."""
        over = [w for w, ws in self.cache.items() if ws.created + retention_s < now]
        for wid in over:
            self.deleted(wid, publish=False, reason="expired")
        return over

    def _recheck(self, conn: Connection, ws: Workshop) -> bool:
        """Apply a new version to one connection; False if its token no longer holds
        (the connection is being closed)."""
        claims = conn.claims
        if claims is None:
            return False
        problem = token_problem(claims, ws)
        if problem is not None:
            conn.revoked(problem)
            return False
        for board, sub in list(conn.subs.items()):
            access = ws.board_access(claims.role, claims.participant, board)
            if access == Access.NONE:
                self.hub.unsubscribe(conn, board)
                conn.send_error(Forbidden(f"board {board} is closed to you now", board=board))
            else:
                sub.writable = access == Access.WRITE
        return True

    async def _send_views(self, ws: Workshop, conns: list[Connection]) -> None:
        for start in range(0, len(conns), VIEWS_AT_ONCE):
            if start:
                await asyncio.sleep(0)  # the writers of the last few, and other boards
            if self.cache.get(ws.id) is not ws:
                return  # a newer version was kept meanwhile: its views go to everyone
            live = self.conns.get(ws.id, set())
            for conn in conns[start : start + VIEWS_AT_ONCE]:
                if conn in live:
                    self._send_view(conn, ws)

    def _send_view(self, conn: Connection, ws: Workshop) -> None:
        """The ``workshop`` message: the shared state as encoded once for this version,
        and this member's own part."""
        claims = conn.claims
        if claims is None:
            return
        if self._shared is None or self._shared[:2] != (ws.id, ws.version):
            packed = {k: codec.pack(v) for k, v in ws.public().items()}
            self._shared = (ws.id, ws.version, packed)
        state = codec.pack_map(
            {}, {**self._shared[2], "you": codec.pack(ws.you(claims.role, claims.participant))}
        )
        conn.send(codec.pack_map({"t": "workshop", "workshop": ws.id}, {"state": state}))

    def lock_reason(self, conn: Connection) -> str:
        """Why a subscription is read-only, in words for the person."""
        claims = conn.claims
        ws = self.cache.get(claims.workshop) if claims else None
        if ws is not None and ws.session.locked and claims and claims.role == Role.PARTICIPANT:
            return "the facilitator has locked the boards for the plenary round"
        return "you may read this board but not write it now"

    def _spawn(self, coro: Awaitable[None]) -> None:
        """A background task of the hub's: logged if it fails, cancelled and awaited
        when the hub closes."""
        self.hub.spawn(coro)
