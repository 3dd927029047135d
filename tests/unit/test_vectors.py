"""The golden vectors in shared/vectors: current, and what the Python core does.

The TypeScript client's Vitest suite checks the same files."""

from __future__ import annotations

import itertools
import json
import random
import runpy
from pathlib import Path
from typing import Any

import pytest

from schakel_core import codec
from schakel_core.document import Document
from schakel_core.errors import RequestError, SchakelError
from schakel_core.messages import decode_client, decode_frame, decode_server, encode
from schakel_core.ops import Op

VECTORS = Path(__file__).resolve().parents[2] / "shared" / "vectors"
INDEX = json.loads((VECTORS / "index.json").read_text())


def test_vectors_are_up_to_date() -> None:
    make = runpy.run_path(str(VECTORS / "make_vectors.py"))
    assert make["main"](["--check"]) == 0, "run `python shared/vectors/make_vectors.py`"


@pytest.mark.parametrize("case", INDEX["messages"], ids=lambda c: c["name"])
def test_message_vectors(case: dict[str, Any]) -> None:
    data = (VECTORS / case["file"]).read_bytes()
    decode = decode_client if case["direction"] == "client" else decode_server
    if "error" in case:
        with pytest.raises(SchakelError) as info:
            decode(data)
        assert info.value.code == case["error"]
    else:
        assert codec.unpack(data) == case["expect"]
        message = decode(data)
        assert decode(encode(message)) == message


@pytest.mark.parametrize("case", INDEX["frames"], ids=lambda c: c["name"])
def test_frame_vectors(case: dict[str, Any]) -> None:
    """A hub frame of several messages decodes to them in order; each message encoded
    alone and the encodings joined decode alike; a frame cut anywhere is refused."""
    data = (VECTORS / case["file"]).read_bytes()
    assert codec.unpack_all(data) == case["expect"]
    messages = decode_frame(data)
    assert len(messages) == len(case["expect"])
    assert decode_frame(b"".join(encode(msg) for msg in messages)) == messages
    for cut in range(1, len(data)):
        try:
            decode_frame(data[:cut])
        except RequestError as exc:
            assert exc.code == "malformed"  # noqa: PT017
        else:  # only a cut between two messages leaves whole messages
            assert (
                codec.unpack_all(data[:cut]) == case["expect"][: len(codec.unpack_all(data[:cut]))]
            )


@pytest.mark.parametrize("case", INDEX["merge"], ids=lambda c: c["name"])
def test_merge_vectors_in_every_order(case: dict[str, Any]) -> None:
    ops = [Op(*o) for o in case["ops"]]
    orders = (
        list(itertools.permutations(ops))
        if len(ops) <= 6
        else [random.Random(i).sample(ops, len(ops)) for i in range(200)]
    )
    for order in orders:
        doc = Document()
        try:
            for op in order:
                doc.apply(op)
        except RequestError as exc:
            assert exc.code == case.get("error"), order  # noqa: PT017
            continue
        assert "error" not in case
        assert doc.state() == case["state"]
        assert doc.visible() == case["visible"]
