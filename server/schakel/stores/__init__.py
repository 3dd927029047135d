"""Stores: where boards and workshops live. See :mod:`.base` for the seam."""

from .base import Applied, Batch, Loaded, Store, open_store

__all__ = ["Applied", "Batch", "Loaded", "Store", "open_store"]
