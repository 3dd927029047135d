"""Running the analysis for the hub: off the event loop, once per board version.

Data flow::

    HTTP / report / snapshot ──board(id)──▶ store.load(id, 0): the board's registers + seq
                                               │ cache hit on (board, seq)? ── yes ──▶ result
                                               ▼ no (and one in flight per key: single-flight)
                       worker process (schakel.workers): Document → visible → analyse → JSON
                                               │
                                               ▼ cached (LRU, bounded) and returned

networkx and the analysis are pure Python and CPU-bound; on the event loop (or in a thread
holding the GIL) they would stall every other board's fan-out. So they run in the hub's
worker processes, and results are cached per board version: a plenary screen that asks
again costs one store read.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

from schakel_analysis import analyse_board, shared_actors
from schakel_analysis.compare import to_dicts
from schakel_analysis.texts import Text
from schakel_core import codec
from schakel_core.document import Document
from schakel_core.errors import RequestError
from schakel_core.ops import Op
from schakel_core.workshop import Workshop

from .boards import board_label, board_who, content_boards, members_of
from .exports.report import BoardData, ReportData
from .stores.base import Boards, Workshops
from .workers import Workers

logger = logging.getLogger(__name__)

CACHE_ENTRIES = 512
FORGOTTEN_ENTRIES = 1024  # workshops gone lately, whose late results are not kept


@dataclass(frozen=True, slots=True)
class BoardState:
    """A board as read from the store: its sequence number and visible objects."""

    board: str
    seq: int
    objects: dict[str, dict[str, Any]]


def visible_objects(ops: list[Op]) -> dict[str, dict[str, Any]]:
    return Document(ops).visible()


def _analyse(ops: list[tuple[Any, ...]], who: Text | None) -> bytes:
    """In the worker: the board's registers in, the analysis as JSON bytes out."""
    objects = visible_objects([Op(*o) for o in ops])
    result = analyse_board(objects, who=who).to_dict()
    return json.dumps(result, ensure_ascii=False, allow_nan=False).encode()


def _shared_per_set(
    sets: list[list[tuple[str, dict[str, dict[str, Any]]]]], labels: dict[str, Text]
) -> list[dict[str, Any]]:
    return [d for boards in sets for d in to_dicts(shared_actors(boards, labels))]


class AnalysedStore(Boards, Workshops, Protocol):
    """What the analyses use of the store: boards, and the workshops' history."""


class Analyses:
    """Board analyses for one hub: the worker pool, a cache, and the board reader."""

    def __init__(self, store: AnalysedStore, workers: Workers) -> None:
        self.store = store
        self.workers = workers
        self._cache: OrderedDict[tuple[str, int, str], bytes] = OrderedDict()
        self._flights: dict[tuple[str, int, str], asyncio.Future[bytes]] = {}
        self._visible: OrderedDict[tuple[str, int], dict[str, dict[str, Any]]] = OrderedDict()
        self._forgotten: OrderedDict[str, None] = OrderedDict()
        self.computed = 0  # analyses run (not served from the cache)

    def forget(self, workshop_id: str) -> None:
        """The workshop is gone: drop every cached analysis of its boards, and keep none
        that a computation still running brings back."""
        prefix = workshop_id + ":"
        for key in [k for k in self._cache if k[0].startswith(prefix)]:
            del self._cache[key]
        for vkey in [k for k in self._visible if k[0].startswith(prefix)]:
            del self._visible[vkey]
        self._forgotten[workshop_id] = None
        while len(self._forgotten) > FORGOTTEN_ENTRIES:
            self._forgotten.popitem(last=False)

    async def read(self, board: str) -> tuple[int, list[Op]]:
        loaded = await self.store.load(board, 0)
        return loaded.seq, loaded.ops

    async def state(self, board: str) -> BoardState:
        """A board's visible objects (kept per version: a screen that re-asks while nothing
        changed costs a store read, not a rebuild of the board)."""
        seq, ops = await self.read(board)
        if seq == 0:
            return BoardState(board, 0, {})
        key = (board, seq)
        objects = self._visible.get(key)
        if objects is None:
            objects = visible_objects(ops)
            if board.split(":", 1)[0] not in self._forgotten:
                self._visible[key] = objects
            while len(self._visible) > CACHE_ENTRIES:
                self._visible.popitem(last=False)
        else:
            self._visible.move_to_end(key)
        return BoardState(board, seq, objects)

    async def board(self, board: str, who: Text | None = None) -> bytes:
        """The analysis of a board's current version as JSON bytes."""
        seq, ops = await self.read(board)
        key = (board, seq, who["nl"] if who else "")
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        flight = self._flights.get(key)
        if flight is not None:
            return await asyncio.shield(flight)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bytes] = loop.create_future()
        self._flights[key] = future
        try:
            result = await self.workers.run(_analyse, [tuple(o) for o in ops], who)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        else:
            future.set_result(result)
        finally:
            del self._flights[key]
        if board.split(":", 1)[0] not in self._forgotten:
            self._cache[key] = result
        while len(self._cache) > CACHE_ENTRIES:
            self._cache.popitem(last=False)
        self.computed += 1
        return result

    async def board_dict(self, board: str, who: Text | None = None) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(await self.board(board, who))
        return data

    # ------------------------------------------------------------- workshop

    async def states(self, ws: Workshop) -> list[BoardState]:
        """Every board of the workshop that holds something, in the workshop's order."""
        out = []
        for board in content_boards(ws):
            st = await self.state(board)
            if st.objects:
                out.append(st)
        return out

    async def workshop(self, ws: Workshop) -> dict[str, Any]:
        """Headline figures per board, the actors several boards share, and the history."""
        states = await self.states(ws)
        boards: dict[str, Any] = {}
        for st in states:
            label = board_label(ws, st.board)
            result = await self.board_dict(st.board, board_who(ws, st.board))
            boards[st.board] = {"label": label, "seq": st.seq, "headline": result["headline"]}
        return {
            "workshop": ws.id,
            "boards": boards,
            "shared": await self.shared(ws, states),
            "history": await self.history(ws.id),
        }

    async def shared(self, ws: Workshop, states: list[BoardState]) -> list[dict[str, Any]]:
        """The actors several boards of one round share (fuzzy matching runs in a worker).

        Boards are compared within the rounds that share them (a group's map of round 1 is
        not another group's map of round 3), each such set on its own; the lists follow
        the programme."""
        by_key: dict[str | None, list[BoardState]] = {}
        for st in states:
            info = ws.board_info(st.board)
            by_key.setdefault(info.key if info else None, []).append(st)
        labels = {st.board: board_label(ws, st.board) for st in states}
        sets = [[(st.board, st.objects) for st in group] for group in by_key.values()]
        return await self.workers.run(_shared_per_set, sets, labels)

    async def report_data(self, ws: Workshop, lang: str) -> ReportData:
        """Everything the report and the workshop's exports show, as plain data."""
        states = await self.states(ws)
        boards = []
        for st in states:
            label = board_label(ws, st.board)
            analysis = await self.board_dict(st.board, board_who(ws, st.board))
            members = members_of(ws, st.board)
            boards.append(BoardData(st.board, label, members, st.objects, analysis))
        shared = await self.shared(ws, states)
        return ReportData(ws.to_dict(), boards, shared, await self.history(ws.id), lang)

    async def history(self, workshop_id: str) -> list[dict[str, Any]]:
        return [codec.unpack(raw, limit=None) for raw in await self.store.history(workshop_id)]

    async def snapshot(self, ws: Workshop, round_: int, part: int) -> None:
        """Keep the headline figures of every board at the end of a programme part."""
        try:
            states = await self.states(ws)
            figures = {}
            for st in states:
                result = await self.board_dict(st.board, board_who(ws, st.board))
                figures[st.board] = result["headline"]
            r: dict[str, Any] = (
                ws.programme[round_] if round_ < len(ws.programme) else {"title": "", "parts": []}
            )
            parts = r["parts"]
            entry = {
                "round": round_,
                "part": part,
                "round_title": r["title"],
                "part_title": parts[part]["title"] if part < len(parts) else "",
                "at": time.time(),
                "boards": figures,
            }
            await self.store.add_history(ws.id, codec.pack(entry))
        except RequestError as exc:
            logger.warning("no snapshot of workshop %s: %s", ws.id, exc.reason)
