"""``schakel export``: a workshop's results written from the store itself, beside a running
hub (embedded store, read-only) and from Redis."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.e2e.test_reading import MAP, draw
from tests.support.redis_server import redis_server
from tests.support.server import Hub, create_workshop, hub_settings, running_hub


def export(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "schakel", "export", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


async def test_export_beside_a_running_hub(hub: Hub, tmp_path: Path) -> None:
    data = await create_workshop(hub.http, groups=2, title="Buurt en school")
    wid = data["workshop"]["id"]
    await draw(hub, data["facilitator_token"], f"{wid}:g1", MAP)
    out = tmp_path / "out"
    data_dir = hub.service.settings.data_dir
    # By join code (as typed: lower case, with a dash), while the hub keeps running.
    code = data["join_code"].lower()
    done = await asyncio.to_thread(
        export, f"{code[:4]}-{code[4:]}", "--data-dir", data_dir, "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    files = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert {"verslag.html", "verslag.pdf", "analyse.json"} <= files
    assert {f"groep-1/kaart.{f}" for f in ("svg", "png", "pdf", "graphml", "gexf", "json")} <= files
    assert {"groep-1/actoren.csv", "groep-1/relaties.csv"} <= files
    assert "11/11" in done.stderr  # the progress bar counted every step
    assert "Burgemeester" in (out / "verslag.html").read_text()
    # One format, in English.
    done = await asyncio.to_thread(
        export, wid, "--data-dir", data_dir, "--out", str(tmp_path / "en"), "--format", "svg",
        "--format", "report", "--lang", "en",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    names = sorted(str(p.relative_to(tmp_path / "en")) for p in (tmp_path / "en").rglob("*.*"))
    assert names == ["group-1/map.svg", "report.html"]
    # The hub wrote on meanwhile, undisturbed.
    await draw(hub, data["facilitator_token"], f"{wid}:g2", {"z": MAP["burg"]})


async def test_export_errors_are_clear(hub: Hub, tmp_path: Path) -> None:
    done = await asyncio.to_thread(
        export, "NOPE99", "--data-dir", hub.service.settings.data_dir, "--out", str(tmp_path)
    )
    assert done.returncode == 1 and "no workshop 'NOPE99'" in done.stderr
    assert "Traceback" not in done.stderr
    done = await asyncio.to_thread(
        export, "x", "--data-dir", str(tmp_path / "none"), "--out", str(tmp_path)
    )
    assert done.returncode == 1 and "no Schakel database" in done.stderr


@pytest.mark.redis
async def test_export_from_redis_as_a_zip(tmp_path: Path) -> None:
    with redis_server(tmp_path / "redis") as server:
        settings = hub_settings(None, redis_url=server.url)
        async with running_hub(settings) as h:
            data = await create_workshop(h.http, groups=1, title="Op Redis")
            wid = data["workshop"]["id"]
            await draw(h, data["facilitator_token"], f"{wid}:g1", MAP)
            done = await asyncio.to_thread(
                export, wid, "--redis-url", server.url, "--out", str(tmp_path / "z"),
                "--format", "zip",
            )  # fmt: skip
    assert done.returncode == 0, done.stderr
    [z] = list((tmp_path / "z").glob("*.zip"))
    assert z.name == "op-redis.zip"
    names = zipfile.ZipFile(z).namelist()
    assert "verslag.pdf" in names and "groep-1/kaart.graphml" in names
    assert "14/14" in done.stderr
