"""The Schakel hub: a Starlette app on uvicorn that merges, stores and fans out board ops.

Modules: :mod:`.app` (routes), :mod:`.api` (JSON HTTP API), :mod:`.connection` (one
WebSocket), :mod:`.hub` (rooms, committer, fan-out), :mod:`.outbox` (bounded send queue),
:mod:`.stores` (the Store seam: embedded and Redis), :mod:`.auth` (tokens),
:mod:`.config` and :mod:`.cli`.
"""
