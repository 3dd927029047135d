"""The JSON HTTP API: create, read, change and delete workshops; join with a code.

Every error is a JSON body ``{"error": code, "reason": text}`` with a matching status;
never a stack trace. Bodies are JSON only (``security.require_type``). Creating and
joining are limited per client address (``limits``); a join with an unknown code is a
*miss*, and misses have their own, slower allowance per address and per hub, checked
before the code is looked up, so that guessing codes is answered at a bounded rate
(``docs/security.md`` has the numbers).
"""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from schakel_core.document import Document
from schakel_core.errors import (
    AuthFailed,
    Conflict,
    Forbidden,
    InvalidMessage,
    Malformed,
    NotFound,
    RequestError,
    TooLarge,
    Unavailable,
)
from schakel_core.workshop import Access, Participant, Role, Workshop, normalise_join_code

from .auth import Claims, token_problem
from .limits import LimitReached, Quotas
from .security import require_type
from .service import Service

MAX_BODY_BYTES = 64 * 1024

STATUS = {
    "malformed": 400,
    "invalid_message": 400,
    "invalid_op": 400,
    "bad_request": 400,
    "auth_failed": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "too_large": 413,
    "unsupported_media_type": 415,
    "rate_limited": 429,
    "store_unavailable": 503,
    "unavailable": 503,
}
HUB = "hub"  # the key of the hub-wide buckets
NO_CODE = "no open workshop has this join code; check it with the facilitator"


def error_response(exc: RequestError) -> JSONResponse:
    response = JSONResponse({"error": exc.code, "reason": exc.reason}, STATUS.get(exc.code, 400))
    retry = getattr(exc, "retry_after_s", None)
    if retry is not None:
        response.headers["retry-after"] = str(retry)
    return response


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


async def _body(request: Request) -> dict[str, Any]:
    require_type(request)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise TooLarge(f"a request body holds at most {MAX_BODY_BYTES} bytes")
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise Malformed("the body is not valid JSON") from None
    if type(data) is not dict:
        raise Malformed("the body must be a JSON object")
    return data


def _claims(request: Request, workshop_id: str) -> Claims:
    header = request.headers.get("authorization", "")
    token = header[7:] if header.lower().startswith("bearer ") else None
    claims = _service(request).tokens.verify(token)
    if claims.workshop != workshop_id:
        raise Forbidden("this token belongs to another workshop")
    return claims


def _base_url(request: Request) -> str:
    configured = _service(request).settings.public_url
    return (configured or str(request.base_url)).rstrip("/")


async def _workshop(request: Request, workshop_id: str, claims: Claims) -> Workshop:
    """The workshop, for a token that holds in it now (a removed participant's, or a
    revoked key, does not: ``auth_failed``)."""
    ws = await _service(request).store.get_workshop(workshop_id)
    if ws is None:
        raise NotFound(f"no workshop {workshop_id!r} (deleted or expired)")
    problem = token_problem(claims, ws)
    if problem is not None:
        raise AuthFailed(problem)
    return ws


async def _as_facilitator(request: Request, workshop_id: str, doing: str) -> Workshop:
    """The workshop, for its facilitator only (``doing``: what only they may do)."""
    claims = _claims(request, workshop_id)
    if claims.role != Role.FACILITATOR:
        raise Forbidden(f"only the facilitator may {doing}")
    return await _workshop(request, workshop_id, claims)


async def healthz(request: Request) -> Response:
    service = _service(request)
    try:
        await service.store.ping()
    except RequestError as exc:
        return JSONResponse({"status": "unavailable", "reason": exc.reason}, 503)
    return JSONResponse(
        {
            "status": "ok",
            "store": service.store.kind,
            "boards_in_memory": service.store.boards_in_memory(),
        }
    )


async def create_workshop(request: Request) -> Response:
    body = await _body(request)
    service = _service(request)
    quotas = service.quotas
    quotas.take(
        quotas.workshops,
        "workshops",
        quotas.address(request.scope),
        "too many workshops created from your address; try again later",
    )
    cap = service.settings.max_workshops
    if cap and await service.store.count_workshops() >= cap:
        raise Unavailable(
            f"this server holds its maximum of {cap} live workshops; try again later, or "
            "delete a workshop that is over"
        )
    ws = Workshop.create(
        body.get("title"),
        body.get("groups", 1),
        now=time.time(),
        template=body.get("template", "default-nl"),
        programme=body.get("programme"),
        date=body.get("date", ""),
    )
    await service.store.create_workshop(ws)
    base = _base_url(request)
    return JSONResponse(
        {
            "workshop": ws.public(),
            **_keys(request, ws),
            "join_code": ws.join_code,
            "join_url": f"{base}/join/{ws.join_code}",
        },
        201,
    )


async def get_workshop(request: Request) -> Response:
    wid = request.path_params["workshop"]
    claims = _claims(request, wid)
    return JSONResponse((await _workshop(request, wid, claims)).public())


async def delete_workshop(request: Request) -> Response:
    """Erase the workshop. Its sockets on this hub are closed first (and their batches
    still waiting dropped), then the store erases everything and refuses batches still
    in flight, then the other hubs close theirs."""
    wid = request.path_params["workshop"]
    await _as_facilitator(request, wid, "delete the workshop")
    service = _service(request)
    service.hub.workshops.deleted(wid, publish=False)
    await service.store.delete_workshop(wid)
    service.hub.workshops.deleted(wid)
    service.analyses.forget(wid)
    return Response(status_code=204)


async def refresh_tokens(request: Request) -> Response:
    """New facilitator and viewer links (``{"revoke": true}``: and every older one stops
    working, on every hub: the connections holding them are closed)."""
    wid = request.path_params["workshop"]
    ws = await _as_facilitator(request, wid, "hand out the workshop's keys")
    revoke = (await _body(request)).get("revoke", False)
    if type(revoke) is not bool:
        raise InvalidMessage("revoke: true or false")
    if revoke:
        service = _service(request)
        ws = await service.store.update_workshop(wid, lambda w: (w.revoke_tokens(), w)[1])
        service.hub.workshops.changed(ws)
    return JSONResponse(_keys(request, ws))


def _keys(request: Request, ws: Workshop) -> dict[str, str]:
    tokens, base = _service(request).tokens, _base_url(request)
    viewer = tokens.issue(Claims(ws.id, Role.VIEWER, generation=ws.token_generation))
    return {
        "facilitator_token": tokens.issue(
            Claims(ws.id, Role.FACILITATOR, generation=ws.token_generation)
        ),
        "viewer_token": viewer,
        "viewer_url": f"{base}/plenary#{viewer}",
    }


async def move_participant(request: Request) -> Response:
    wid = request.path_params["workshop"]
    await _as_facilitator(request, wid, "move participants")
    body = await _body(request)
    pid = request.path_params["participant"]
    service = _service(request)
    p, ws = await service.store.update_workshop(
        wid, lambda ws: (ws.move(pid, body.get("group")), ws)
    )
    service.hub.workshops.changed(ws)
    return JSONResponse(p.to_dict())


def _may_guess(quotas: Quotas, address: str) -> None:
    """Before a code is looked up: refuse an address that has spent its misses, and,
    while the hub's misses are spent, every address that has missed lately."""
    if quotas.join_misses.empty(address):
        quotas.refuse("join_misses")
        raise LimitReached(
            "too many unknown join codes from your address; wait before trying again",
            quotas.join_misses.retry_after(address),
            limit="join_misses",
        )
    if not quotas.join_misses.full(address) and quotas.join_misses_hub.empty(HUB):
        quotas.refuse("join_misses_hub")
        raise LimitReached(
            "too many unknown join codes on this server; wait before trying again",
            quotas.join_misses_hub.retry_after(HUB),
            limit="join_misses_hub",
        )


async def join(request: Request) -> Response:
    body = await _body(request)
    code = body.get("code")
    if type(code) is not str or not code.strip():
        raise InvalidMessage("code: enter the join code the facilitator shows")
    service = _service(request)
    quotas = service.quotas
    address = quotas.address(request.scope)
    quotas.take(
        quotas.joins, "joins", address, "too many join attempts from your address; wait a moment"
    )
    _may_guess(quotas, address)
    nickname = body.get("nickname")
    most = service.settings.max_participants

    def add(ws: Workshop) -> tuple[Participant, Workshop]:
        if not ws.session.joining:
            raise NotFound(NO_CODE)  # the same answer as a wrong code: nothing learnt
        if len(ws.participants) >= most:
            raise Conflict(f"this workshop is full ({most} participants)")
        return ws.join(nickname, now=time.time()), ws

    try:
        wid = await service.store.find_join_code(normalise_join_code(code))
        if wid is None:
            raise NotFound(NO_CODE)
        p, ws = await service.store.update_workshop(wid, add)
    except NotFound:
        quotas.join_misses.charge(address)
        quotas.join_misses_hub.charge(HUB)
        raise
    service.hub.workshops.changed(ws)
    return JSONResponse(
        {
            "token": service.tokens.issue(Claims(wid, Role.PARTICIPANT, p.id)),
            "participant": p.to_dict(),
            "workshop": ws.public(),
            "board": ws.current_board(p.id),
        },
        201,
    )


async def get_board(request: Request) -> Response:
    """The visible state of one board as JSON (for exports and scripts)."""
    board = request.path_params["board"]
    wid = board.split(":", 1)[0]
    claims = _claims(request, wid)
    ws = await _workshop(request, wid, claims)
    if ws.board_access(claims.role, claims.participant, board) == Access.NONE:
        raise Forbidden(f"you may not read board {board}")
    loaded = await _service(request).store.load(board, 0)
    doc = Document(loaded.ops)
    return JSONResponse({"board": board, "seq": loaded.seq, "objects": doc.visible()})


def _guarded(handler: Any) -> Any:
    async def endpoint(request: Request) -> Response:
        try:
            response: Response = await handler(request)
        except RequestError as exc:
            _service(request).metrics.errors[exc.code] += 1
            return error_response(exc)
        return response

    endpoint.__name__ = handler.__name__
    return endpoint


routes = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/api/workshops", _guarded(create_workshop), methods=["POST"]),
    Route("/api/workshops/{workshop}", _guarded(get_workshop), methods=["GET"]),
    Route("/api/workshops/{workshop}", _guarded(delete_workshop), methods=["DELETE"]),
    Route("/api/workshops/{workshop}/tokens", _guarded(refresh_tokens), methods=["POST"]),
    Route(
        "/api/workshops/{workshop}/participants/{participant}",
        _guarded(move_participant),
        methods=["POST"],
    ),
    Route("/api/join", _guarded(join), methods=["POST"]),
    Route("/api/boards/{board}", _guarded(get_board), methods=["GET"]),
]
