# Schakel: one hub process. Run several behind a load balancer with SCHAKEL_REDIS_URL set
# (see docker-compose.yml and docs/redis.md); without it, the embedded store in /data.
# Production mode is on: give SCHAKEL_SECRET (32+ characters) and SCHAKEL_PUBLIC_URL.
#
# Checked without a Docker engine by `make test` (tests/image): hadolint lints this file,
# and the hub stage's install and start commands run in a fresh virtualenv as an
# unprivileged user, answering the health check.

# --- the web client (TypeScript, Vite) ----------------------------------------------
FROM node:20-slim AS web
WORKDIR /src/client/web
COPY client/web/package.json client/web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY client/web/ ./
COPY shared/ /src/shared/
RUN npm run build

# --- the Python packages, built into a virtualenv that the hub stage copies ------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /venv
COPY pyproject.toml README.md ./
COPY shared/ shared/
COPY server/ server/
COPY client/python/ client/python/
RUN /venv/bin/pip install .

# --- the hub: no compilers, no npm, not root ------------------------------------------
FROM python:3.11-slim AS hub
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/venv/bin:$PATH
# Cairo and Pango draw the PNG and PDF exports and the report's PDF; DejaVu is their font.
# (Debian's stable versions: pinning them would break the build at each security update.)
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcairo2 libpango-1.0-0 libpangoft2-1.0-0 \
    fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 schakel \
 && useradd --system --uid 10001 --gid 10001 --home-dir /data --create-home schakel
COPY --from=build /venv /venv
COPY --from=web /src/client/web/dist /app/web
ENV SCHAKEL_WEB_DIR=/app/web \
    SCHAKEL_DATA_DIR=/data \
    SCHAKEL_HOST=0.0.0.0 \
    SCHAKEL_PORT=8000 \
    SCHAKEL_PRODUCTION=true \
    SCHAKEL_LOG_FORMAT=json
WORKDIR /data
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["schakel", "health"]
CMD ["schakel", "serve"]
