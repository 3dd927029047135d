"""Reading the map over HTTP against a real hub: the analysis (cached per board version,
computed in a worker process), every export, the report, importing a board, snapshots
over time, and who may ask for what."""

from __future__ import annotations

import asyncio
import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from typing import Any

import httpx
import networkx as nx
import pytest
from PIL import Image

from schakel_client import SchakelClient
from schakel_core.document import Document
from tests.support.server import Hub, create_workshop, join
from tests.unit.analysis.maps import actor, board, tie

SVG = "{http://www.w3.org/2000/svg}"

# A map of an issue in a neighbourhood: two poles, a bridge, an influential mayor.
MAP = board(
    {
        "burg": actor("Burgemeester", "middle", influence=5, roles=("mover",)),
        "agent": actor("Wijkagent", "middle", influence=3, roles=("schakel",)),
        "imam": actor("Imam <script>alert(1)</script>", "pole_a", influence=3, roles=("pusher",)),
        "jong": actor("Jongeren", "pole_a", influence=1),
        "actie": actor("Actiegroep", "pole_b", influence=3, roles=("pusher",)),
        "buurt": actor("=Buurtbewoners", "pole_b", influence=1),
    },
    [
        tie("imam", "jong"),
        tie("actie", "buurt"),
        tie("imam", "agent"),
        tie("agent", "actie"),
        tie("agent", "burg", kind="access", direction="forward"),
        tie("imam", "actie", "-", kind="tension", strength=3),
    ],
    issue="Een azc in de wijk",
    pole_a="Welkom",
    pole_b="Tegen",
)


@dataclass
class Workshop:
    id: str
    facilitator: str
    viewer: str
    code: str
    data: dict[str, Any]

    def board(self, n: int) -> str:
        return f"{self.id}:g{n}"


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def draw(hub: Hub, token: str, board_id: str, objects: dict[str, dict[str, Any]]) -> None:
    async with SchakelClient(hub.ws, token, name="draw") as c:
        await c.subscribe(board_id)
        for oid, o in objects.items():
            fields = {k: v for k, v in o.items() if k != "type"}
            if oid == "meta":
                c.edit(board_id, "meta", "meta", **fields)
            else:
                c.edit(board_id, oid, o["type"], **fields)
        # (a large map is thousands of ops: the connection's op rate, 400/s after its
        # burst, spreads them over seconds; PROTOCOL.md, Limits)
        await c.settled(timeout=60)


@pytest.fixture
async def ws(hub: Hub) -> Workshop:
    data = await create_workshop(hub.http, groups=2, title="Polarisatie in de wijk")
    w = Workshop(
        data["workshop"]["id"],
        data["facilitator_token"],
        data["viewer_token"],
        data["join_code"],
        data,
    )
    await draw(hub, w.facilitator, w.board(1), MAP)
    return w


async def get(hub: Hub, path: str, token: str | None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=hub.http, timeout=60) as http:
        return await http.get(path, headers=bearer(token) if token else {})


async def test_board_analysis_is_cached_per_version(hub: Hub, ws: Workshop) -> None:
    r = await get(hub, f"/api/boards/{ws.board(1)}/analysis", ws.viewer)
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["headline"]["actors"] == 6 and result["headline"]["relations"] == 6
    assert result["important"] == ["burg"]
    kinds = {s["kind"] for s in result["suggestions"]}
    assert {"schakel", "pusher", "volger", "mover"} <= kinds
    assert all(s["text"]["nl"].endswith("?") for s in result["suggestions"] if s["kind"] != "hint")
    analyses = hub.service.analyses
    computed = analyses.computed
    again = await get(hub, f"/api/boards/{ws.board(1)}/analysis", ws.facilitator)
    assert again.content == r.content and analyses.computed == computed
    await draw(hub, ws.facilitator, ws.board(1), {"new": actor("Journalist", "middle")})
    changed = (await get(hub, f"/api/boards/{ws.board(1)}/analysis", ws.viewer)).json()
    assert changed["headline"]["actors"] == 7 and analyses.computed == computed + 1


async def test_concurrent_requests_compute_once(hub: Hub, ws: Workshop) -> None:
    before = hub.service.analyses.computed
    answers = await asyncio.gather(
        *(get(hub, f"/api/boards/{ws.board(1)}/analysis", ws.viewer) for _ in range(8))
    )
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert hub.service.analyses.computed == before + 1


async def test_svg_export_escapes_every_label(hub: Hub, ws: Workshop) -> None:
    r = await get(hub, f"/api/boards/{ws.board(1)}/export/svg", ws.facilitator)
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert 'filename="groep-1.svg"' in r.headers["content-disposition"]
    root = ET.fromstring(r.content)
    assert root.tag == f"{SVG}svg"
    assert root.findall(f".//{SVG}script") == []
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert "Imam <script>alert(1)</script>" in titles  # the label is text, not markup
    assert any("<script>" in t for t in texts)
    assert b"<script>" not in r.content
    for label in ("Burgemeester", "Wijkagent", "Jongeren", "Actiegroep", "=Buurtbewoners"):
        assert any(label in t for t in texts), label
    assert any("Welkom" in t for t in texts)  # the legend names the poles


async def test_png_and_pdf_exports(hub: Hub, ws: Workshop) -> None:
    svg = ET.fromstring(
        (await get(hub, f"/api/boards/{ws.board(1)}/export/svg", ws.facilitator)).content
    )
    w, h = float(svg.get("width", 0)), float(svg.get("height", 0))
    png = await get(hub, f"/api/boards/{ws.board(1)}/export/png", ws.facilitator)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    img = Image.open(io.BytesIO(png.content))
    assert img.size == (round(w * 1.5), round(h * 1.5))
    assert len(img.getcolors(1 << 20) or []) > 8  # a drawing, not a blank page
    pdf = await get(hub, f"/api/boards/{ws.board(1)}/export/pdf", ws.facilitator)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    # One page the size of the drawing (CSS pixels are 0.75 pt).
    [box] = re.findall(rb"/MediaBox \[ 0 0 ([0-9.]+) ([0-9.]+) \]", pdf.content)
    assert (float(box[0]), float(box[1])) == (w * 0.75, h * 0.75)


def board_graph(
    objects: dict[str, dict[str, Any]],
) -> tuple[dict[str, Any], set[tuple[str, str, str]]]:
    actors = {k: o["label"] for k, o in objects.items() if o["type"] == "actor"}
    edges = {(o["source"], o["target"], k) for k, o in objects.items() if o["type"] == "relation"}
    return actors, edges


async def test_graphml_and_gexf_read_back_equal_the_board(hub: Hub, ws: Workshop) -> None:
    actors, edges = board_graph(MAP)
    gm = await get(hub, f"/api/boards/{ws.board(1)}/export/graphml", ws.facilitator)
    assert gm.status_code == 200
    g = nx.parse_graphml(gm.text, force_multigraph=True)
    assert {n: a["label"] for n, a in g.nodes(data=True)} == actors
    assert {(u, v, k) for u, v, k in g.edges(keys=True)} == edges
    assert g.nodes["imam"]["stance"] == "pole_a" and g.nodes["imam"]["influence"] == 3
    assert g.nodes["imam"]["role_pusher"] is True and g.nodes["imam"]["roles"] == "pusher"
    tension = next(d for _, _, k, d in g.edges(keys=True, data=True) if d["sign"] == "-")
    assert tension["kind"] == "tension" and tension["signed_weight"] == -3
    assert g.graph["pole_a"] == "Welkom" and g.graph["issue"] == "Een azc in de wijk"
    gx = await get(hub, f"/api/boards/{ws.board(1)}/export/gexf", ws.facilitator)
    g2 = nx.read_gexf(io.BytesIO(gx.content))
    assert {n: a["label"] for n, a in g2.nodes(data=True)} == actors
    assert {(u, v) for u, v in g2.edges()} == {(u, v) for u, v, _ in edges}
    assert g2.nodes["burg"]["influence"] == 5 and "viz" in g2.nodes["burg"]


async def test_node_link_and_csv(hub: Hub, ws: Workshop) -> None:
    nl = (await get(hub, f"/api/boards/{ws.board(1)}/export/nodelink.json", ws.facilitator)).json()
    g = nx.node_link_graph(nl, edges="links")
    assert set(g.nodes) == set(board_graph(MAP)[0])
    actors = (
        await get(hub, f"/api/boards/{ws.board(1)}/export/actors.csv", ws.facilitator)
    ).content
    text = actors.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("id,label,kind,stance")
    assert "'=Buurtbewoners" in text  # a spreadsheet must not run it as a formula
    rel = (
        await get(hub, f"/api/boards/{ws.board(1)}/export/relations.csv", ws.facilitator)
    ).content
    assert len(rel.decode("utf-8-sig").strip().splitlines()) == 1 + 6


async def test_json_export_imports_back_to_an_equal_board(hub: Hub, ws: Workshop) -> None:
    exported = await get(hub, f"/api/boards/{ws.board(1)}/export/json", ws.facilitator)
    assert exported.status_code == 200 and exported.json()["format"] == "schakel-board"
    async with httpx.AsyncClient(base_url=hub.http) as http:
        r = await http.post(
            f"/api/workshops/{ws.id}/import",
            content=exported.content,
            headers={**bearer(ws.facilitator), "content-type": "application/json"},
        )
    assert r.status_code == 201, r.text
    assert r.json()["board"] == ws.board(2)  # the first empty group board
    assert r.json()["objects"] == {"actor": 6, "relation": 6, "note": 0, "ink": 0}
    original = Document((await hub.service.store.load(ws.board(1), 0)).ops).visible()
    copy = Document((await hub.service.store.load(ws.board(2), 0)).ops).visible()
    assert copy == original
    # Every group board holds a map now: the next import opens a new group.
    async with httpx.AsyncClient(base_url=hub.http) as http:
        r = await http.post(
            f"/api/workshops/{ws.id}/import",
            content=exported.content,
            headers={**bearer(ws.facilitator), "content-type": "application/json"},
        )
        assert r.status_code == 201 and r.json()["board"] == ws.board(3)
        stored = await hub.service.store.get_workshop(ws.id)
        assert stored is not None and stored.groups == 3
        # Into a board that holds a map: refused.
        r = await http.post(
            f"/api/workshops/{ws.id}/import?board={ws.board(1)}",
            content=exported.content,
            headers={**bearer(ws.facilitator), "content-type": "application/json"},
        )
        assert r.status_code == 409 and r.json()["error"] == "conflict"


async def test_import_graphml_from_another_tool(hub: Hub, ws: Workshop) -> None:
    g = nx.DiGraph()
    g.add_node("Politie", label="Politie", x=0.1, y=0.2, stance="middle")
    g.add_node("School", x=0.9, y=0.4, kind="institution", influence=4)
    g.add_node("Ouders", x=0.5, y=0.9)
    g.add_edge("Politie", "School", weight=2.0)
    g.add_edge("Ouders", "School", weight=-1.0, label="boos")
    data = "\n".join(nx.generate_graphml(g)).encode()
    async with httpx.AsyncClient(base_url=hub.http) as http:
        r = await http.post(
            f"/api/workshops/{ws.id}/import?board={ws.board(2)}",
            content=data,
            headers={**bearer(ws.facilitator), "content-type": "application/xml"},
        )
    assert r.status_code == 201, r.text
    assert r.json()["source"] == "graphml"
    objects = Document((await hub.service.store.load(ws.board(2), 0)).ops).visible()
    labels = {o["label"]: o for o in objects.values() if o["type"] == "actor"}
    assert set(labels) == {"Politie", "School", "Ouders"}
    assert labels["School"]["kind"] == "institution" and labels["School"]["influence"] == 4
    assert labels["Politie"]["stance"] == "middle"
    rels = [o for o in objects.values() if o["type"] == "relation"]
    assert sorted((r["sign"], r["direction"], r.get("label", "")) for r in rels) == [
        ("+", "forward", ""),
        ("-", "forward", "boos"),
    ]


BAD_FILES: list[tuple[str, bytes, str, int, str]] = [
    ("not-a-board", b'{"hello": 1}', "application/json", 400, "invalid_message"),
    ("not-json", b"{nope", "application/json", 400, "malformed"),
    ("neither", b"hello", "application/json", 400, "malformed"),
    (
        "bad-stance",
        json.dumps(
            {
                "format": "schakel-board",
                "version": 1,
                "objects": {"a": {"type": "actor", "stance": "left"}},
            }
        ).encode(),
        "application/json",
        400,
        "invalid_op",
    ),
    (
        "dangling-relation",
        json.dumps(
            {
                "format": "schakel-board",
                "version": 1,
                "objects": {"r": {"type": "relation", "source": "x", "target": "y"}},
            }
        ).encode(),
        "application/json",
        400,
        "invalid_op",
    ),
    (
        "label-too-long",
        json.dumps(
            {
                "format": "schakel-board",
                "version": 1,
                "objects": {"a": {"type": "actor", "label": "x" * 121}},
            }
        ).encode(),
        "application/json",
        413,
        "too_large",
    ),
    (
        "wrong-version",
        b'{"format": "schakel-board", "version": 9, "objects": {}}',
        "application/json",
        400,
        "invalid_message",
    ),
    (
        "billion-laughs",
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;">]>'
        b'<graphml><graph><node id="&lol2;"/></graph></graphml>',
        "application/xml",
        400,
        "malformed",
    ),
    ("not-xml", b"<graphml><graph>", "application/xml", 400, "malformed"),
    ("text-plain", b'{"format": "schakel-board"}', "text/plain", 415, "unsupported_media_type"),
    ("too-big", b"{" + b" " * (4 * 1024 * 1024 + 10) + b"}", "application/json", 413, "too_large"),
]


@pytest.mark.parametrize(
    ("data", "kind", "status", "code"), [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES]
)
async def test_bad_imports_change_nothing(
    hub: Hub, ws: Workshop, data: bytes, kind: str, status: int, code: str
) -> None:
    before = await hub.service.store.get_workshop(ws.id)
    async with httpx.AsyncClient(base_url=hub.http) as http:
        r = await http.post(
            f"/api/workshops/{ws.id}/import",
            content=data,
            headers={**bearer(ws.facilitator), "content-type": kind},
        )
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] == code and body["reason"] and "Traceback" not in r.text
    assert await hub.service.store.get_workshop(ws.id) == before
    assert (await hub.service.store.load(ws.board(2), 0)).ops == []


async def test_report_pdf_and_zip(hub: Hub, ws: Workshop) -> None:
    await draw(hub, ws.facilitator, ws.board(2), {"x": actor("Burgmeester", "pole_b", influence=2)})
    html = await get(hub, f"/api/workshops/{ws.id}/export/report.html", ws.facilitator)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "script-src" not in html.headers["content-security-policy"]
    page = html.text
    assert page.startswith("<!doctype html>") and "<script" not in page
    assert "Polarisatie in de wijk" in page and "Groep 1" in page and "Groep 2" in page
    assert "Imam &lt;script&gt;" in page or "Imam &lt;script>" in page
    assert page.count('class="map"') == 2
    assert "Burgemeester" in page  # the actor both groups named (spelled two ways)
    en = await get(hub, f"/api/workshops/{ws.id}/export/report.html?lang=en", ws.facilitator)
    assert "Group 1" in en.text and "Report" in en.text and "Groep 1" not in en.text
    pdf = await get(hub, f"/api/workshops/{ws.id}/export/report.pdf", ws.facilitator)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-") and len(pdf.content) > 10_000
    z = await get(hub, f"/api/workshops/{ws.id}/export/zip", ws.facilitator)
    assert z.status_code == 200 and z.headers["content-type"] == "application/zip"
    names = set(zipfile.ZipFile(io.BytesIO(z.content)).namelist())
    assert {"LEESMIJ.txt", "verslag.html", "verslag.pdf", "analyse.json"} <= names
    for stem in ("groep-1", "groep-2"):
        for f in ("svg", "png", "pdf", "graphml", "gexf", "json", "nodelink.json"):
            assert f"{stem}/kaart.{f}" in names
        for f in ("actoren.csv", "relaties.csv", "analyse.json"):
            assert f"{stem}/{f}" in names
    analysis = (await get(hub, f"/api/workshops/{ws.id}/analysis", ws.viewer)).json()
    assert set(analysis["boards"]) == {ws.board(1), ws.board(2)}
    [shared] = analysis["shared"]
    assert shared["name"] == "Burgemeester" and shared["boards"] == [ws.board(1), ws.board(2)]
    assert "stance" in shared["disagree"] and "influence" in shared["disagree"]


async def test_the_end_of_a_part_keeps_a_snapshot(hub: Hub, ws: Workshop) -> None:
    part = {"minutes": 5, "mode": "group"}
    programme = [
        {
            "title": "Ronde 1",
            "parts": [{"title": "Groepjes", **part}, {"title": "Plenair", **part}],
        },
        {"title": "Ronde 2", "parts": [{"title": "Groepjes", **part}]},
    ]
    async with SchakelClient(hub.ws, ws.facilitator, name="facilitator") as f:
        await f.control("programme", programme=programme)
        await f.control("next")
        await f.control("next")

    async def history() -> list[dict[str, Any]]:
        return (await get(hub, f"/api/workshops/{ws.id}/analysis", ws.facilitator)).json()[
            "history"
        ]

    async with asyncio.timeout(30):
        while len(await history()) < 2:  # noqa: ASYNC110 - taken in the background; poll HTTP
            await asyncio.sleep(0.05)
    first, second = await history()
    # Each snapshot is of the part that ended: round 1 part 1, then round 1 part 2.
    assert (first["round"], first["part"]) == (0, 0) and (second["round"], second["part"]) == (0, 1)
    assert second["part_title"] == "Plenair"
    assert first["boards"][ws.board(1)]["actors"] == 6


async def test_the_loop_keeps_serving_while_a_large_board_is_analysed(
    hub: Hub, ws: Workshop
) -> None:
    import random

    rnd = random.Random(7)
    big = board(
        {
            f"a{i:03d}": actor(
                f"Actor {i}", rnd.choice(["pole_a", "pole_b", "middle"]), rnd.randint(0, 5)
            )
            for i in range(200)
        },
        [
            tie(f"a{rnd.randrange(200):03d}", f"a{rnd.randrange(200):03d}", rnd.choice("+-"))
            for _ in range(600)
        ],
    )
    await draw(hub, ws.facilitator, ws.board(2), big)
    async with SchakelClient(hub.ws, ws.viewer, name="plenary") as c:
        analysis = asyncio.create_task(get(hub, f"/api/boards/{ws.board(2)}/analysis", ws.viewer))
        pongs = 0
        while not analysis.done():
            await c.ping(pongs)
            pongs += 1
            await asyncio.sleep(0.005)  # (an honest client: within the message limit)
        r = await analysis
    assert r.status_code == 200 and r.json()["headline"]["actors"] == 200
    assert pongs >= 1


# ---------------------------------------------------------------- access


@pytest.fixture
async def people(hub: Hub, ws: Workshop) -> dict[str, str]:
    """Tokens: facilitator, viewer, a participant of group 1 and of group 2, another
    workshop's facilitator."""
    tokens = {"facilitator": ws.facilitator, "viewer": ws.viewer}
    for i in range(5):  # four fill group 1, the fifth opens group 2
        j = await join(hub.http, ws.code, f"P{i}")
        tokens.setdefault(f"group{j['participant']['group']}", j["token"])
    other = await create_workshop(hub.http, groups=1, title="Andere")
    tokens["other"] = other["facilitator_token"]
    return tokens


ROLES = ("facilitator", "viewer", "group1", "group2", "other", "none")
ACCESS: list[tuple[str, tuple[int, ...]]] = [
    # route, then the status for each of ROLES
    ("GET /api/boards/{b1}/analysis", (200, 200, 200, 403, 403, 401)),
    ("GET /api/boards/{b2}/analysis", (200, 200, 403, 200, 403, 401)),
    ("GET /api/boards/{b1}/export/svg", (200, 403, 200, 403, 403, 401)),
    ("GET /api/boards/{b1}/export/json", (200, 403, 200, 403, 403, 401)),
    ("GET /api/boards/{b2}/export/graphml", (200, 403, 403, 200, 403, 401)),
    ("GET /api/workshops/{ws}/analysis", (200, 200, 403, 403, 403, 401)),
    ("GET /api/workshops/{ws}/export/report.html", (200, 403, 403, 403, 403, 401)),
    ("GET /api/workshops/{ws}/export/analysis.json", (200, 403, 403, 403, 403, 401)),
    ("POST /api/workshops/{ws}/import?board={b2}", (201, 403, 403, 403, 403, 401)),
]


@pytest.mark.parametrize(("route", "statuses"), ACCESS, ids=[a[0] for a in ACCESS])
async def test_access_by_role(
    hub: Hub, ws: Workshop, people: dict[str, str], route: str, statuses: tuple[int, ...]
) -> None:
    method, path = route.split(" ")
    path = path.format(b1=ws.board(1), b2=ws.board(2), ws=ws.id)
    content = json.dumps(
        {"format": "schakel-board", "version": 1, "objects": {"a": {"type": "actor", "label": "x"}}}
    ).encode()
    for role, status in zip(ROLES, statuses, strict=True):
        headers = bearer(people[role]) if role != "none" else {}
        async with httpx.AsyncClient(base_url=hub.http, timeout=60) as http:
            if method == "GET":
                r = await http.get(path, headers=headers)
            else:
                r = await http.post(
                    path, content=content, headers={**headers, "content-type": "application/json"}
                )
        assert r.status_code == status, (role, r.text)
        if status >= 400:
            assert r.json()["error"] in ("forbidden", "auth_failed")
        if status == 201:  # undo the import so the next role finds the board empty again
            async with SchakelClient(hub.ws, ws.facilitator) as f:
                await f.subscribe(ws.board(2))
                for oid in list(f.replicas[ws.board(2)].doc.visible()):
                    f.delete(ws.board(2), oid)
                await f.settled()


async def test_unknown_formats_and_boards(hub: Hub, ws: Workshop) -> None:
    r = await get(hub, f"/api/boards/{ws.board(1)}/export/docx", ws.facilitator)
    assert r.status_code == 404 and "svg" in r.json()["reason"]
    r = await get(hub, f"/api/workshops/{ws.id}/export/report.docx", ws.facilitator)
    assert r.status_code == 404
    r = await get(hub, f"/api/boards/{ws.id}:g9/export/svg", ws.facilitator)
    assert r.status_code == 403
    r = await get(hub, f"/api/boards/{ws.board(1)}/export/svg?lang=fr", ws.facilitator)
    assert r.status_code == 400 and r.json()["error"] == "invalid_message"


async def test_deleting_a_workshop_forgets_its_analyses(hub: Hub, ws: Workshop) -> None:
    assert (
        await get(hub, f"/api/boards/{ws.board(1)}/analysis", ws.facilitator)
    ).status_code == 200
    await get(hub, f"/api/workshops/{ws.id}/analysis", ws.facilitator)
    analyses = hub.service.analyses
    assert any(k[0].startswith(ws.id) for k in analyses._cache)
    async with httpx.AsyncClient(base_url=hub.http) as http:
        r = await http.delete(f"/api/workshops/{ws.id}", headers=bearer(ws.facilitator))
    assert r.status_code == 204
    assert not any(k[0].startswith(ws.id) for k in analyses._cache)
    assert not any(k[0].startswith(ws.id) for k in analyses._visible)


async def test_actors_are_shared_within_a_round_not_across_rounds(hub: Hub) -> None:
    part = {"title": "Groepjes", "minutes": 5, "mode": "group"}
    programme = [
        {"title": "Ronde 1", "parts": [part], "questions": [], "board": "r1"},
        {"title": "Ronde 2", "parts": [part], "questions": [], "board": "r2"},
    ]
    async with httpx.AsyncClient(base_url=hub.http) as http:
        r = await http.post(
            "/api/workshops", json={"title": "Rondes", "groups": 2, "programme": programme}
        )
    data = r.json()
    wid, token = data["workshop"]["id"], data["facilitator_token"]
    mayor = {"m": actor("Burgemeester", "middle", 5)}
    await draw(hub, token, f"{wid}:r1:g1", mayor)  # group 1, round 1
    await draw(hub, token, f"{wid}:r2:g1", mayor)  # group 1 again, round 2
    await draw(hub, token, f"{wid}:r2:g2", {"b": actor("burgemeester", "pole_a", 4)})
    result = (await get(hub, f"/api/workshops/{wid}/analysis", token)).json()
    assert [s["boards"] for s in result["shared"]] == [[f"{wid}:r2:g1", f"{wid}:r2:g2"]]
    assert result["boards"][f"{wid}:r1:g1"]["label"]["nl"] == "Groep 1 · Ronde 1"
