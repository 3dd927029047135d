# Schakel: one hub process. Run several behind a load balancer with SCHAKEL_REDIS_URL set
# (see docker-compose.yml and docs/redis.md); without it, the embedded store in /data.

# --- the web client (TypeScript, Vite) ----------------------------------------------
FROM node:20-slim AS web
WORKDIR /src/client/web
COPY client/web/package.json client/web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY client/web/ ./
COPY shared/ /src/shared/
RUN npm run build

# --- the hub -------------------------------------------------------------------------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# Cairo and Pango draw the PNG and PDF exports and the report's PDF; DejaVu is their font.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcairo2 libpango-1.0-0 libpangoft2-1.0-0 \
    fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared/ shared/
COPY server/ server/
COPY client/python/ client/python/
RUN pip install . && useradd --system --home /data --create-home schakel
COPY --from=web /src/client/web/dist /app/web
ENV SCHAKEL_WEB_DIR=/app/web \
    SCHAKEL_DATA_DIR=/data \
    SCHAKEL_HOST=0.0.0.0 \
    SCHAKEL_PORT=8000
USER schakel
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
CMD ["schakel", "serve", "--host", "0.0.0.0"]
