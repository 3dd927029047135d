# Schakel: the developer's menu. Every target installs what it needs first.
#   make run    serve Schakel on the embedded store, web client built  (http://127.0.0.1:8000)
#   make test   every test: lint and types, Python (unit, contract, e2e, Redis, browser), Vitest
#   make check  ruff format --check, ruff, mypy strict
#   make bench  W1-W3: capacity against the relays and Yjs, before/after (BENCH_ARGS=--help,
#               BENCH_BEFORE=<git ref>); make bench-classic: the earlier drag/saturation bench
#   make bench-analysis  the analysis benchmark alone
#   make bench-limits    memory under 10,000 overwrites; 200 participants; a 10,000-object board
#   make fuzz   the long fuzz of the running hub (FUZZ_FRAMES, default 1,000,000)
#   make chaos  hubs and Redis killed, connections cut, for CHAOS_ARGS="--seconds 60"
#   make soak   ten minutes of workshops on one hub, its memory sampled (SOAK_ARGS)
#   make clean  remove build outputs and caches

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
WEB := client/web
BENCH_YJS := bench/yjs
PYTEST_ARGS ?=
BENCH_ARGS ?=
FUZZ_FRAMES ?= 1000000
CHAOS_ARGS ?= --seconds 60
SOAK_ARGS ?= --seconds 600

.PHONY: run test check bench bench-classic bench-analysis bench-limits fuzz chaos soak clean venv web runtime-deps system-deps schema test-core test-py test-web

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

# The web client (TypeScript, Vite). npm ci only when the lock file changed.
$(WEB)/node_modules/.installed: $(WEB)/package.json $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

web: $(WEB)/node_modules/.installed
	cd $(WEB) && npm run build --silent

# Debian packages the hub needs to run: Cairo and Pango (PNG/PDF exports, the report's
# PDF) and a font for them. Installed only when missing.
RUNTIME_LIBS := libcairo.so.2:libcairo2 libpango-1.0.so.0:libpango-1.0-0 \
	libpangoft2-1.0.so.0:libpangoft2-1.0-0
runtime-deps:
	@missing=""; \
	for pair in $(RUNTIME_LIBS); do \
	  ldconfig -p | grep -q "$${pair%%:*}" || missing="$$missing $${pair##*:}"; \
	done; \
	test -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || missing="$$missing fonts-dejavu-core"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# Debian packages the tests need besides: redis-server, and chromium for the browser tests.
system-deps: runtime-deps
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

run: venv web runtime-deps
	$(VENV)/bin/schakel serve

schema: venv
	$(VENV)/bin/schakel schema > shared/schema.json

check: venv
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/hadolint Dockerfile

# The pure core and the analysis are held to near-full branch coverage by their unit tests.
test-core: venv
	$(PY) -m pytest tests/unit --cov=schakel_core --cov=schakel_analysis --cov-branch --cov-report=term-missing:skip-covered --cov-fail-under=98 $(PYTEST_ARGS)

test-py: venv system-deps web $(BENCH_YJS)/node_modules/.installed
	$(PY) -m pytest --ignore=tests/unit $(PYTEST_ARGS)

test-web: web
	cd $(WEB) && npm test --silent

test: check test-core test-web test-py

# The y-websocket server and the Yjs load generator of the benchmark (bench/yjs).
$(BENCH_YJS)/node_modules/.installed: $(BENCH_YJS)/package.json $(BENCH_YJS)/package-lock.json
	cd $(BENCH_YJS) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# W1-W3 of issue 11 against the relays, Yjs and the hub of this tree and of BENCH_BEFORE
# (docs/benchmarks.md); bounded (about 20 min), on 127.0.0.1, stops by itself.
BENCH_BEFORE ?= 89b5370
bench: venv runtime-deps system-deps $(BENCH_YJS)/node_modules/.installed
	$(PY) -m bench.workloads $(if $(BENCH_BEFORE),--before $(BENCH_BEFORE)) $(BENCH_ARGS)

# The earlier benchmark (25 ops/s drags and saturation, Python generator) and the analysis.
bench-classic: venv web runtime-deps $(BENCH_YJS)/node_modules/.installed
	$(PY) -m bench $(BENCH_ARGS)
	OPENBLAS_NUM_THREADS=1 $(PY) -m bench.analysis

# Only the analysis benchmark (reading the map): pure, through a hub, the loop meanwhile.
bench-analysis: venv runtime-deps
	OPENBLAS_NUM_THREADS=1 $(PY) -m bench.analysis

# The hub's memory while one board is overwritten (and after), controls at 200
# participants, a late joiner of a 10,000-object board (docs/benchmarks.md).
bench-limits: venv
	$(PY) -m bench.memory
	$(PY) -m bench.workshop_scale

# The long runs (bounded, on 127.0.0.1, they stop by themselves; make test runs small ones).
fuzz: venv
	FUZZ_FRAMES=$(FUZZ_FRAMES) $(PY) -m pytest tests/fuzz -s -p no:cacheprovider

chaos: venv system-deps
	$(PY) -m tests.endurance.chaos $(CHAOS_ARGS)

soak: venv runtime-deps
	$(PY) -m tests.endurance.soak $(SOAK_ARGS)

clean:
	rm -rf $(WEB)/dist artifacts .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov
	find . -name __pycache__ -prune -exec rm -rf {} +
