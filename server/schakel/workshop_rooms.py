"""Workshop rooms: the connections of each workshop on this hub, and its live state.

Whenever a workshop changes (a facilitator control, a join, a move), :meth:`changed`
re-checks every local subscription against the new access rules (a locked board becomes
read-only; a board the participant may no longer see is closed with ``forbidden``), sends
each connection its own view (``workshop`` message), and tells the other hubs through the
store's board channel ``<workshop>:events``, which they answer by re-reading the record.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from schakel_core import codec
from schakel_core.errors import Forbidden, RequestError
from schakel_core.messages import WorkshopEvent, encode
from schakel_core.workshop import Access, Role, Workshop

from .stores.base import Store

if TYPE_CHECKING:
    from .connection import Connection
    from .hub import Hub

logger = logging.getLogger(__name__)

EVENTS_SUFFIX = ":events"


def events_channel(workshop_id: str) -> str:
    return workshop_id + EVENTS_SUFFIX


class WorkshopRooms:
    def __init__(self, hub: Hub, store: Store) -> None:
        self.hub = hub
        self.store = store
        self.conns: dict[str, set[Connection]] = {}
        self.cache: dict[str, Workshop] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def join(self, conn: Connection, ws: Workshop) -> None:
        conns = self.conns.get(ws.id)
        if conns is None:
            conns = self.conns[ws.id] = set()
            self.store.watch(events_channel(ws.id))
        conns.add(conn)
        self.cache[ws.id] = ws
        self._send_view(conn, ws)

    def leave(self, conn: Connection, workshop_id: str) -> None:
        conns = self.conns.get(workshop_id)
        if conns is None:
            return
        conns.discard(conn)
        if not conns:
            del self.conns[workshop_id]
            self.cache.pop(workshop_id, None)
            self.store.unwatch(events_channel(workshop_id))

    def changed(self, ws: Workshop, *, publish: bool = True) -> None:
        """A new version of ``ws``: apply it to local connections and tell other hubs."""
        cached = self.cache.get(ws.id)
        if cached is not None and cached.version > ws.version:
            return  # an older record arrived late
        self.cache[ws.id] = ws
        for conn in list(self.conns.get(ws.id, ())):
            self._recheck(conn, ws)
            self._send_view(conn, ws)
        if publish:
            frame = codec.pack({"t": "changed", "workshop": ws.id, "version": ws.version})
            self._spawn(self.store.publish_presence([(events_channel(ws.id), frame)]))

    def remote(self, channel: str, frame: bytes) -> bool:
        """A frame on a board channel from another hub; True if it was a workshop event."""
        if not channel.endswith(EVENTS_SUFFIX):
            return False
        workshop_id = channel[: -len(EVENTS_SUFFIX)]
        if workshop_id in self.conns:
            self._spawn(self._reload(workshop_id))
        return True

    async def _reload(self, workshop_id: str) -> None:
        try:
            ws = await self.store.get_workshop(workshop_id)
        except RequestError as exc:
            logger.warning("could not reload workshop %s: %s", workshop_id, exc.reason)
            return
        if ws is None:
            self.deleted(workshop_id, publish=False)
        else:
            self.changed(ws, publish=False)

    def deleted(self, workshop_id: str, *, publish: bool = True) -> None:
        """The workshop is gone: close its connections here and on the other hubs."""
        for conn in list(self.conns.get(workshop_id, ())):
            conn.gone("the facilitator has ended and deleted this workshop")
        if publish:
            frame = codec.pack({"t": "deleted", "workshop": workshop_id})
            self._spawn(self.store.publish_presence([(events_channel(workshop_id), frame)]))

    def _recheck(self, conn: Connection, ws: Workshop) -> None:
        claims = conn.claims
        if claims is None:
            return
        for board, sub in list(conn.subs.items()):
            access = ws.board_access(claims.role, claims.participant, board)
            if access == Access.NONE:
                self.hub.unsubscribe(conn, board)
                conn.send_error(Forbidden(f"board {board} is closed to you now", board=board))
            else:
                sub.writable = access == Access.WRITE

    def _send_view(self, conn: Connection, ws: Workshop) -> None:
        claims = conn.claims
        if claims is None:
            return
        view = ws.view(claims.role, claims.participant)
        conn.send(encode(WorkshopEvent(ws.id, view)))

    def lock_reason(self, conn: Connection) -> str:
        """Why a subscription is read-only, in words for the person."""
        claims = conn.claims
        ws = self.cache.get(claims.workshop) if claims else None
        if ws is not None and ws.session.locked and claims and claims.role == Role.PARTICIPANT:
            return "the facilitator has locked the boards for the plenary round"
        return "you may read this board but not write it now"

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
