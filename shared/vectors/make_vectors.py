"""Write the golden test vectors in ``shared/vectors/`` from the Python core.

    python shared/vectors/make_vectors.py          # rewrite the files
    python shared/vectors/make_vectors.py --check  # exit 1 if the files are stale

``index.json`` lists every case. Message cases name a ``.msgpack`` file (one message) and
either the decoded map every implementation must produce (``expect``) or the error code
it must refuse the frame with (``error``). Frame cases name a hub frame of several
messages back to back and the decoded messages in order (``expect``). Merge cases give
ops (wire arrays) and the document that applying them in *any* order must give:
``state`` (every register as ``[value, counter, client]``) and ``visible`` (what a user
sees), or the ``error`` code of the op that must be refused. Both test suites, pytest
and Vitest, read these files.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import msgpack

from schakel_core.document import Document
from schakel_core.errors import RequestError, SchakelError
from schakel_core.messages import decode_client, decode_frame, decode_server
from schakel_core.ops import Op

HERE = Path(__file__).resolve().parent


def _pack(value: Any) -> bytes:
    data: bytes = msgpack.packb(value, use_bin_type=True)
    return data


A = "alice"
B = "bob"

MESSAGES: list[tuple[str, str, Any]] = [
    # (name, direction, value to pack; bytes are used as they are)
    ("hello", "client", {"t": "hello", "v": 2, "token": "tok", "client": "c1", "name": "Ann"}),
    ("subscribe", "client", {"t": "subscribe", "board": "w1:g1", "since": 42, "ref": 7}),
    ("unsubscribe", "client", {"t": "unsubscribe", "board": "w1:g1"}),
    (
        "ops",
        "client",
        {
            "t": "ops",
            "board": "w1:g1",
            "ref": 1,
            "ops": [
                ["a1", "actor", "label", "Jongerenwerker", 1, A],
                ["a1", "actor", "pos", [10.5, -3], 2, A],
                ["a1", "actor", "role_schakel", True, 3, A],
                ["r1", "relation", "source", "a1", 4, A],
                ["i1", "ink", "points", [0, 0, 0.5, 1.25, 2, 1], 5, A],
                ["meta", "meta", "issue", "Azc in de wijk", 6, A],
            ],
        },
    ),
    (
        "presence",
        "client",
        {"t": "presence", "board": "w1:g1", "data": {"cursor": [1, 2], "sel": ["a1"]}},
    ),
    ("ping", "client", {"t": "ping", "n": 3}),
    ("bad-not-msgpack", "client", b"\xc1"),
    ("bad-not-a-map", "client", [1, 2, 3]),
    ("bad-unknown-type", "client", {"t": "dance"}),
    ("bad-missing-field", "client", {"t": "subscribe", "since": 0}),
    ("bad-wrong-type", "client", {"t": "subscribe", "board": "w1:g1", "since": "0"}),
    ("bad-bool-as-int", "client", {"t": "subscribe", "board": "w1:g1", "since": True}),
    ("bad-empty-batch", "client", {"t": "ops", "board": "b", "ref": 1, "ops": []}),
    (
        "bad-unknown-kind",
        "client",
        {"t": "ops", "board": "b", "ref": 1, "ops": [["x", "planet", "label", "x", 1, A]]},
    ),
    (
        "bad-unknown-field",
        "client",
        {"t": "ops", "board": "b", "ref": 1, "ops": [["x", "actor", "size", 3, 1, A]]},
    ),
    (
        "bad-influence-range",
        "client",
        {"t": "ops", "board": "b", "ref": 1, "ops": [["x", "actor", "influence", 6, 1, A]]},
    ),
    (
        "bad-nan",
        "client",
        {
            "t": "ops",
            "board": "b",
            "ref": 1,
            "ops": [["x", "actor", "pos", [float("nan"), 0], 1, A]],
        },
    ),
    (
        "bad-infinity",
        "client",
        {"t": "ops", "board": "b", "ref": 1, "ops": [["x", "ink", "width", float("inf"), 1, A]]},
    ),
    (
        "bad-long-label",
        "client",
        {"t": "ops", "board": "b", "ref": 1, "ops": [["x", "actor", "label", "x" * 121, 1, A]]},
    ),
    (
        "bad-roles-list",
        "client",
        {
            "t": "ops",
            "board": "b",
            "ref": 1,
            "ops": [["x", "actor", "roles", ["mover"], 1, A]],
        },
    ),
    (
        "bad-role-value",
        "client",
        {"t": "ops", "board": "b", "ref": 1, "ops": [["x", "actor", "role_mover", 1, 1, A]]},
    ),
    (
        "bad-id-newline",
        "client",
        {"t": "ops", "board": "b", "ref": 1, "ops": [["nl-1\n", "actor", "label", "x", 1, A]]},
    ),
    ("bad-board-newline", "client", {"t": "unsubscribe", "board": "w1:g1\n"}),
    (
        "bad-presence-colour",
        "client",
        {"t": "presence", "board": "w1:g1", "data": {"colour": "red"}},
    ),
    ("bad-bin-key", "client", {"t": "ping", b"n": 1}),
    (
        "bad-meta-id",
        "client",
        {"t": "ops", "board": "b", "ref": 1, "ops": [["m2", "meta", "issue", "x", 1, A]]},
    ),
    (
        "bad-op-arity",
        "client",
        {"t": "ops", "board": "b", "ref": 1, "ops": [["x", "actor", "label", "x", 1]]},
    ),
    (
        "bad-negative-counter",
        "client",
        {"t": "ops", "board": "b", "ref": 1, "ops": [["x", "actor", "label", "x", -1, A]]},
    ),
    (
        "bad-id-chars",
        "client",
        {"t": "ops", "board": "b", "ref": 1, "ops": [["x y", "actor", "label", "x", 1, A]]},
    ),
    (
        "bad-colour",
        "client",
        {"t": "ops", "board": "b", "ref": 1, "ops": [["x", "actor", "colour", "red", 1, A]]},
    ),
    (
        "bad-too-many-ops",
        "client",
        {
            "t": "ops",
            "board": "b",
            "ref": 1,
            "ops": [["x", "actor", "influence", 1, i, A] for i in range(1, 1002)],
        },
    ),
    ("bad-hello-version", "client", {"t": "hello", "v": 1, "token": "t", "client": "c1"}),
    ("bad-hello-no-version", "client", {"t": "hello", "token": "t", "client": "c1"}),
    ("bad-hello-version-type", "client", {"t": "hello", "v": "2", "token": "t", "client": "c1"}),
    (
        "welcome",
        "server",
        {
            "t": "welcome",
            "v": 2,
            "conn": "9f2c01aa",
            "role": "participant",
            "workshop": "w1",
            "participant": "p1",
            "boards": ["w1:g1"],
            "writable": ["w1:g1"],
            "time": 1795924254549.5,
            "limits": {"maxFrameBytes": 262144, "opTickMs": 5, "presenceTickMs": 50},
        },
    ),
    (
        "sync",
        "server",
        {
            "t": "sync",
            "board": "w1:g1",
            "seq": 2,
            "full": True,
            "ops": [
                ["a1", "actor", "label", "Imam", 1, A],
                ["a1", "actor", "stance", "pole_a", 2, B],
            ],
            "ref": 7,
        },
    ),
    (
        "update",
        "server",
        {
            "t": "update",
            "board": "w1:g1",
            "from": 9,
            "seq": 9,
            "ops": [["a1", "actor", "influence", 4, 12, B]],
        },
    ),
    (
        # seqs 7 and 8 were the receiver's own ops: left out (no echo)
        "update-without-own",
        "server",
        {
            "t": "update",
            "board": "w1:g1",
            "from": 7,
            "seq": 9,
            "ops": [["a1", "actor", "influence", 4, 12, B]],
        },
    ),
    (
        "bad-update-from",
        "server",
        {"t": "update", "board": "w1:g1", "from": 10, "seq": 9, "ops": []},
    ),
    (
        "bad-update-no-from",
        "server",
        {"t": "update", "board": "w1:g1", "seq": 9, "ops": []},
    ),
    ("ack", "server", {"t": "ack", "board": "w1:g1", "ref": 1, "seq": 9, "applied": 1}),
    (
        "ack-lost",
        "server",
        {
            "t": "ack",
            "board": "w1:g1",
            "ref": 2,
            "seq": 9,
            "applied": 1,
            "lost": [["a1", "label", 11], ["a1", "pos", 12]],
        },
    ),
    (
        "bad-ack-lost",
        "server",
        {"t": "ack", "board": "w1:g1", "ref": 2, "seq": 9, "applied": 0, "lost": [["a1", 11]]},
    ),
    (
        "presence-out",
        "server",
        {
            "t": "presence",
            "board": "w1:g1",
            "conn": "9f2c01aa",
            "client": "c1",
            "name": "Ann",
            "data": {"cursor": [1, 2]},
        },
    ),
    ("leave", "server", {"t": "leave", "board": "w1:g1", "conn": "9f2c01aa"}),
    (
        "error",
        "server",
        {
            "t": "error",
            "code": "invalid_op",
            "reason": "field 'influence' must be an integer 0..5",
            "ref": 1,
            "board": "w1:g1",
        },
    ),
    ("pong", "server", {"t": "pong", "n": 3, "time": 1795924254549.5}),
]


def _op(obj: str, typ: str, field: str, value: Any, counter: int, client: str) -> list[Any]:
    return [obj, typ, field, value, counter, client]


MERGE: list[tuple[str, str, list[list[Any]]]] = [
    (
        "higher-counter-wins",
        "the write with the higher Lamport counter wins, whatever the order",
        [_op("a1", "actor", "label", "old", 1, B), _op("a1", "actor", "label", "new", 2, A)],
    ),
    (
        "tie-broken-by-client-id",
        "equal counters: the greater client id (ASCII order) wins",
        [
            _op("a1", "actor", "label", "from alice", 5, A),
            _op("a1", "actor", "label", "from bob", 5, B),
        ],
    ),
    (
        "client-id-ascii-order",
        "client ids compare as ASCII: 'Z' < 'a'",
        [_op("a1", "actor", "label", "Z", 5, "Zed"), _op("a1", "actor", "label", "a", 5, "abe")],
    ),
    (
        "fields-are-independent",
        "concurrent writes to different fields both survive",
        [
            _op("a1", "actor", "label", "Wijkagent", 3, A),
            _op("a1", "actor", "stance", "middle", 3, B),
            _op("a1", "actor", "influence", 4, 2, B),
        ],
    ),
    (
        "duplicates-are-idempotent",
        "the same op twice changes nothing the second time",
        [_op("a1", "actor", "label", "x", 1, A), _op("a1", "actor", "label", "x", 1, A)],
    ),
    (
        "tombstone-and-restore",
        "deleted is a register: a later false restores the object",
        [
            _op("a1", "actor", "label", "x", 1, A),
            _op("a1", "actor", "deleted", True, 2, B),
            _op("a1", "actor", "deleted", False, 3, A),
        ],
    ),
    (
        "deleted-stays-deleted",
        "a delete with the higher clock hides the object; its fields remain",
        [_op("n1", "note", "text", "Waarom?", 1, A), _op("n1", "note", "deleted", True, 4, B)],
    ),
    (
        "relation-hidden-with-its-actor",
        "a relation whose actor is deleted is hidden, not lost",
        [
            _op("a1", "actor", "label", "x", 1, A),
            _op("a2", "actor", "label", "y", 2, A),
            _op("r1", "relation", "source", "a1", 3, A),
            _op("r1", "relation", "target", "a2", 4, A),
            _op("r1", "relation", "sign", "-", 5, A),
            _op("a2", "actor", "deleted", True, 6, B),
        ],
    ),
    (
        "relation-back-with-its-actor",
        "restoring the actor shows the relation again",
        [
            _op("a1", "actor", "label", "x", 1, A),
            _op("a2", "actor", "label", "y", 2, A),
            _op("r1", "relation", "source", "a1", 3, A),
            _op("r1", "relation", "target", "a2", 4, A),
            _op("a2", "actor", "deleted", True, 6, B),
            _op("a2", "actor", "deleted", False, 7, A),
        ],
    ),
    (
        "relation-to-missing-actor",
        "a relation to an actor nobody created yet is hidden",
        [_op("r1", "relation", "source", "a1", 1, A), _op("r1", "relation", "target", "a9", 2, A)],
    ),
    (
        "relation-to-a-note",
        "a relation's ends must be actors",
        [
            _op("a1", "actor", "label", "x", 1, A),
            _op("n1", "note", "text", "y", 2, A),
            _op("r1", "relation", "source", "a1", 3, A),
            _op("r1", "relation", "target", "n1", 4, A),
        ],
    ),
    (
        "roles-are-registers",
        "two people toggle different roles of one actor at once: both toggles survive",
        [
            _op("a1", "actor", "label", "Imam", 1, A),
            _op("a1", "actor", "role_pusher", True, 5, A),
            _op("a1", "actor", "role_schakel", True, 5, B),
            _op("a1", "actor", "role_mover", False, 6, B),
        ],
    ),
    (
        "stored-roles-list",
        "a roles list stored before each role had its own register: one register per role "
        "with its clock; a later toggle wins",
        [
            _op("a1", "actor", "label", "x", 1, A),
            _op("a1", "actor", "roles", ["pusher", "mover"], 2, A),
            _op("a1", "actor", "role_mover", False, 3, B),
        ],
    ),
    (
        "meta-and-ink",
        "the meta object and an ink stroke",
        [
            _op("meta", "meta", "issue", "Spanningen rond de moskee", 1, A),
            _op("meta", "meta", "pole_a", "voor", 2, A),
            _op("meta", "meta", "pole_b", "tegen", 3, B),
            _op("i1", "ink", "points", [0, 0, 0.5, 10, 10, 0.75], 4, B),
            _op("i1", "ink", "width", 2.5, 5, B),
        ],
    ),
]

MERGE_ERRORS: list[tuple[str, str, list[list[Any]], str]] = [
    (
        "type-conflict",
        "an id keeps the type it was created with",
        [_op("x1", "actor", "label", "x", 1, A), _op("x1", "note", "text", "x", 2, A)],
        "conflict",
    ),
    (
        "clock-reused",
        "one clock never writes two values of one field",
        [_op("x1", "actor", "label", "x", 1, A), _op("x1", "actor", "label", "y", 1, A)],
        "conflict",
    ),
]


# Hub frames of several messages back to back (protocol v2): what one tick gives one
# connection.
FRAMES: list[tuple[str, list[dict[str, Any]]]] = [
    (
        "frame-update-ack",
        [
            {
                "t": "update",
                "board": "w1:g1",
                "from": 8,
                "seq": 8,
                "ops": [["a7", "actor", "label", "De imam", 8, B]],
            },
            {
                "t": "ack",
                "board": "w1:g1",
                "ref": 3,
                "seq": 8,
                "applied": 0,
                "lost": [["a7", "label", 8]],
            },
        ],
    ),
    (
        "frame-tick",
        [
            {
                "t": "update",
                "board": "w1:g1",
                "from": 10,
                "seq": 11,
                "ops": [
                    ["a1", "actor", "pos", [3.5, -2], 20, B],
                    ["a2", "actor", "label", "x", 21, B],
                ],
            },
            {
                "t": "update",
                "board": "w1:g2",
                "from": 4,
                "seq": 4,
                "ops": [["n1", "note", "text", "Waarom?", 9, "carol"]],
            },
            {"t": "ack", "board": "w1:g2", "ref": 5, "seq": 4, "applied": 1},
            {
                "t": "presence",
                "board": "w1:g1",
                "conn": "9f2c01aa",
                "client": B,
                "name": "Bo",
                "data": {"cursor": [1, 2], "sel": ["a1"]},
            },
            {"t": "leave", "board": "w1:g2", "conn": "77aa01bc"},
        ],
    ),
]


def _decode(direction: str, data: bytes) -> tuple[Any, str | None]:
    try:
        (decode_client if direction == "client" else decode_server)(data)
    except SchakelError as exc:
        return None, exc.code
    return msgpack.unpackb(data, raw=False), None


def build() -> dict[str, bytes]:
    """Every file of the vectors folder, by relative path."""
    files: dict[str, bytes] = {}
    index: dict[str, Any] = {"messages": [], "merge": [], "frames": []}
    for name, direction, value in MESSAGES:
        data = value if isinstance(value, bytes) else _pack(value)
        expect, error = _decode(direction, data)
        rel = f"messages/{name}.msgpack"
        files[rel] = data
        case: dict[str, Any] = {"name": name, "direction": direction, "file": rel}
        if error is None:
            case["expect"] = expect
        else:
            case["error"] = error
        index["messages"].append(case)
    for name, values in FRAMES:
        data = b"".join(_pack(v) for v in values)
        decode_frame(data)  # (a valid frame)
        rel = f"frames/{name}.msgpack"
        files[rel] = data
        index["frames"].append({"name": name, "direction": "server", "file": rel, "expect": values})
    for name, doc_text, ops in MERGE:
        doc = Document(Op(*o) for o in ops)
        index["merge"].append(
            {
                "name": name,
                "doc": doc_text,
                "ops": ops,
                "state": doc.state(),
                "visible": doc.visible(),
            }
        )
    for name, doc_text, ops, code in MERGE_ERRORS:
        doc = Document()
        error = None
        for o in ops:
            try:
                doc.apply(Op(*o))
            except RequestError as exc:
                error = exc.code
        assert error == code, (name, error)
        index["merge"].append({"name": name, "doc": doc_text, "ops": ops, "error": code})
    files["index.json"] = (
        json.dumps(index, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    ).encode()
    return files


def main(argv: list[str]) -> int:
    files = build()
    stale = [
        rel
        for rel, data in files.items()
        if not (HERE / rel).is_file() or (HERE / rel).read_bytes() != data
    ]
    if "--check" in argv:
        for rel in stale:
            print(f"stale: shared/vectors/{rel}", file=sys.stderr)
        return 1 if stale else 0
    for rel in stale:
        (HERE / rel).parent.mkdir(parents=True, exist_ok=True)
        (HERE / rel).write_bytes(files[rel])
    print(f"{len(files)} files, {len(stale)} written")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
