"""Schakel's benchmark suite (``make bench`` → ``python -m bench``): the hub against a bare
WebSocket relay and the Yjs server; see docs/benchmarks.md."""
