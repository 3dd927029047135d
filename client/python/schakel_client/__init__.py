"""Python client of the Schakel hub: a local replica per board kept in sync over one
WebSocket, with optimistic edits, acks, undo/redo, presence and reconnect with resume."""

from .client import ClientError, SchakelClient
from .replica import Replica

__all__ = ["ClientError", "Replica", "SchakelClient"]
