"""The server's drawings (exports, report) and the web client share one visual vocabulary:
the palette, the stance and role colours, the sign colours and the dash of every relation
kind in ``server/schakel/exports/style.py`` are those of ``client/web/src/board/style.ts``."""

from __future__ import annotations

import re
from pathlib import Path

from schakel.exports import style

TS = (Path(__file__).resolve().parents[1] / "client/web/src/board/style.ts").read_text()


def ts_object(name: str) -> dict[str, str]:
    """The entries of ``export const NAME ... = { ... }`` as raw strings."""
    body = re.search(rf"const {name}\b[^=]*=\s*\{{(.*?)\}}", TS, re.S)
    assert body, name
    out = {}
    for key, value in re.findall(r"""["']?([\w+-]+)["']?\s*:\s*([^,\n]+)""", body.group(1)):
        out[key] = value.strip()
    return out


def resolve(value: str) -> str:
    consts = {"GREY": style.GREY, "LIGHT_GREY": style.LIGHT_GREY}
    if value.startswith("OKABE_ITO."):
        return style.OKABE_ITO[value.split(".", 1)[1]]
    if value in consts:
        return consts[value]
    return value.strip("\"'")


def test_palette_and_colours_match_the_web_client() -> None:
    assert {k: v.strip('"') for k, v in ts_object("OKABE_ITO").items()} == style.OKABE_ITO
    assert {k: resolve(v) for k, v in ts_object("STANCE_COLOUR").items()} == style.STANCE_COLOUR
    assert {k: resolve(v) for k, v in ts_object("ROLE_COLOUR").items()} == style.ROLE_COLOUR
    assert {k: resolve(v) for k, v in ts_object("SIGN_COLOUR").items()} == style.SIGN_COLOUR
    neutral = re.search(r'NEUTRAL_LINE = "([^"]+)"', TS)
    assert neutral and neutral.group(1) == style.NEUTRAL_LINE
    assert re.search(r'const GREY = "([^"]+)"', TS).group(1) == style.GREY  # type: ignore[union-attr]


def test_relation_dashes_match_the_web_client() -> None:
    dashes = {
        kind: tuple(float(x) for x in re.findall(r"[\d.]+", arr))
        for kind, arr in re.findall(r"(\w+): \[([^\]]*)\]", ts_object_block("RELATION_DASH"))
    }
    assert dashes == {k: tuple(float(x) for x in v) for k, v in style.RELATION_DASH.items()}


def ts_object_block(name: str) -> str:
    body = re.search(rf"const {name}\b[^=]*=\s*\{{(.*?)\n\}};", TS, re.S)
    assert body, name
    return body.group(1)
