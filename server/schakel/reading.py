"""Reading the map over HTTP: the analysis, the exports, the report, and importing a board.

Access follows the boards' own rules (``Workshop.board_access``), with one more for files:

=========================================  ===========  ======  ===========================
endpoint                                   facilitator  viewer  participant
=========================================  ===========  ======  ===========================
``GET /api/boards/{b}/analysis``           any board    what it may read  what it may read
``GET /api/boards/{b}/export/{format}``    any board    no      its own boards (group, own)
``GET /api/workshops/{w}/analysis``        yes          yes     no
``GET /api/workshops/{w}/export/{format}`` yes          no      no
``POST /api/workshops/{w}/import``         yes          no      no
=========================================  ===========  ======  ===========================

A participant's own boards are its group's board and its personal board: the maps it drew.
Everything CPU-heavy (analysis, drawing, PDF, ZIP) runs in the hub's worker processes.

These are the most expensive requests a client can make, so each one (once its token is
checked: a stranger cannot spend a workshop's allowance) takes a token per client
address (``SCHAKEL_LIMIT_HEAVY``) and per workshop (``SCHAKEL_LIMIT_HEAVY_WORKSHOP``),
and the worker queue is bounded (``workers.Workers``): files may hold half of it, so a
flood of exports never starves the analyses.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from schakel_core.document import Document
from schakel_core.errors import Conflict, Forbidden, InvalidMessage, NotFound, TooLarge
from schakel_core.workshop import MAX_GROUPS, Access, Role, Workshop

from .analyses import BoardState
from .api import _as_facilitator, _claims, _guarded, _service, _workshop
from .auth import Claims
from .boards import board_label, board_who, file_stem, is_own_board, members_of, workshop_stem
from .exports.boardfile import MAX_IMPORT_BYTES, import_client, import_ops, parse_import
from .exports.files import BOARD_FORMATS, WORKSHOP_FORMATS, board_file, workshop_file
from .exports.report import BoardData
from .security import JSON_TYPES, XML_TYPES, require_type

LANGS = ("nl", "en")
IMPORT_TYPES = JSON_TYPES + XML_TYPES

_import_locks: dict[str, asyncio.Lock] = {}


def _heavy(request: Request, workshop_id: str) -> None:
    """Take this request's tokens (address and workshop), or raise LimitReached."""
    quotas = _service(request).quotas
    quotas.take(
        quotas.heavy,
        "heavy",
        quotas.address(request.scope),
        "too many analyses and files asked from your address; wait a moment",
    )
    quotas.take(
        quotas.heavy_workshop,
        "heavy_workshop",
        workshop_id,
        "too many analyses and files asked for this workshop; wait a moment",
    )


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang", "nl")
    if lang not in LANGS:
        raise InvalidMessage(f"lang: one of {', '.join(LANGS)}")
    return lang


def _board_of(request: Request) -> tuple[str, str]:
    board = request.path_params["board"]
    return board, board.split(":", 1)[0]


def _download(data: bytes, media_type: str, filename: str) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


async def _board_data(request: Request, ws: Workshop, board: str, analysis: bool) -> BoardData:
    service = _service(request)
    st: BoardState = await service.analyses.state(board)
    label = board_label(ws, board)
    result = await service.analyses.board_dict(board, board_who(ws, board)) if analysis else {}
    return BoardData(board, label, members_of(ws, board), st.objects, result)


async def board_analysis(request: Request) -> Response:
    board, wid = _board_of(request)
    claims = _claims(request, wid)
    ws = await _workshop(request, wid, claims)
    if ws.board_access(claims.role, claims.participant, board) == Access.NONE:
        raise Forbidden(f"you may not read board {board}", board=board)
    _heavy(request, wid)
    data = await _service(request).analyses.board(board, board_who(ws, board))
    return Response(data, media_type="application/json")


def _may_export(claims: Claims, ws: Workshop, board: str) -> bool:
    if ws.board_kind(board) is None:
        return False
    if claims.role == Role.FACILITATOR:
        return True
    return claims.role == Role.PARTICIPANT and is_own_board(ws, claims.participant, board)


async def board_export(request: Request) -> Response:
    board, wid = _board_of(request)
    fmt = request.path_params["format"]
    if fmt not in BOARD_FORMATS:
        raise NotFound(f"no export format {fmt!r}; known: {', '.join(BOARD_FORMATS)}")
    lang = _lang(request)
    claims = _claims(request, wid)
    ws = await _workshop(request, wid, claims)
    if not _may_export(claims, ws, board):
        raise Forbidden(f"you may not export board {board}", board=board)
    _heavy(request, wid)
    data = await _board_data(request, ws, board, analysis=fmt == "analysis.json")
    file = await _service(request).workers.run(board_file, fmt, data, lang, heavy=True)
    return _download(file.data, file.media_type, f"{file_stem(ws, board, lang)}.{fmt}")


async def workshop_analysis(request: Request) -> Response:
    wid = request.path_params["workshop"]
    claims = _claims(request, wid)
    if claims.role == Role.PARTICIPANT:
        raise Forbidden("the workshop's analysis is for the facilitator and the plenary screen")
    ws = await _workshop(request, wid, claims)
    _heavy(request, wid)
    return JSONResponse(await _service(request).analyses.workshop(ws))


async def workshop_export(request: Request) -> Response:
    wid = request.path_params["workshop"]
    fmt = request.path_params["format"]
    if fmt not in WORKSHOP_FORMATS:
        raise NotFound(f"no export format {fmt!r}; known: {', '.join(WORKSHOP_FORMATS)}")
    lang = _lang(request)
    ws = await _as_facilitator(request, wid, "export the workshop")
    _heavy(request, wid)
    data = await _service(request).analyses.report_data(ws, lang)
    stems = {b.board: file_stem(ws, b.board, lang) for b in data.boards}
    file = await _service(request).workers.run(workshop_file, fmt, data, stems, heavy=True)
    name = workshop_stem(ws)
    if fmt == "report.html" and request.query_params.get("download") != "1":
        # Opened in the browser: the report is one self-contained page, no script.
        return Response(
            file.data,
            media_type=file.media_type,
            headers={"content-security-policy": REPORT_CSP},
        )
    return _download(file.data, file.media_type, f"{name}.{fmt}")


REPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none'"


async def _read_body(request: Request, limit: int) -> bytes:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge(f"an imported file holds at most {limit // (1024 * 1024)} MB")
    return body


def _is_empty(doc: Document) -> bool:
    return all(o["type"] == "meta" for o in doc.visible().values())


async def _target_board(request: Request, ws: Workshop, board: str | None) -> str:
    """The board to import into: the one asked for (it must be empty), else the first
    empty group board, else a new group's board."""
    service = _service(request)
    if board is not None:
        if ws.board_kind(board) is None:
            raise NotFound(f"no board {board!r} in this workshop")
        _, ops = await service.analyses.read(board)
        if not _is_empty(Document(ops)):
            raise Conflict(f"board {board} already holds a map; import into an empty board")
        return board
    for candidate in [ws.group_board(g) for g in range(1, ws.groups + 1)]:  # this round's
        _, ops = await service.analyses.read(candidate)
        if _is_empty(Document(ops)):
            return candidate

    def add_group(w: Workshop) -> Workshop:
        if w.groups >= MAX_GROUPS:
            raise Conflict(f"every group board holds a map and there are {MAX_GROUPS} groups")
        w.groups += 1
        w.version += 1
        return w

    changed = await service.store.update_workshop(ws.id, add_group)
    service.hub.workshops.changed(changed)
    return changed.group_board(changed.groups)


async def import_board(request: Request) -> Response:
    wid = request.path_params["workshop"]
    claims = _claims(request, wid)
    if claims.role != Role.FACILITATOR:  # (before reading a body of up to 4 MB)
        raise Forbidden("only the facilitator may import a board")
    require_type(request, IMPORT_TYPES)
    _heavy(request, wid)
    imported = parse_import(await _read_body(request, MAX_IMPORT_BYTES))
    ws = await _workshop(request, wid, claims)
    service = _service(request)
    lock = _import_locks.setdefault(wid, asyncio.Lock())
    async with lock:
        board = await _target_board(request, ws, request.query_params.get("board"))
        _, ops = await service.analyses.read(board)
        new_ops = import_ops(imported, Document(ops), import_client())
        applied = await service.hub.write(board, new_ops)
    if not lock.locked():
        _import_locks.pop(wid, None)
    counts: dict[str, Any] = {t: imported.count(t) for t in ("actor", "relation", "note", "ink")}
    return JSONResponse(
        {"board": board, "seq": applied.seq, "objects": counts, "source": imported.source}, 201
    )


routes = [
    Route("/api/boards/{board}/analysis", _guarded(board_analysis), methods=["GET"]),
    Route("/api/boards/{board}/export/{format}", _guarded(board_export), methods=["GET"]),
    Route("/api/workshops/{workshop}/analysis", _guarded(workshop_analysis), methods=["GET"]),
    Route("/api/workshops/{workshop}/export/{format}", _guarded(workshop_export), methods=["GET"]),
    Route("/api/workshops/{workshop}/import", _guarded(import_board), methods=["POST"]),
]
