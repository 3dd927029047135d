"""The hub's two ticks, and how they stretch under load (``docs/design.md``, "Ticks").

The op tick is the committer's batching window: what arrives within it is stored in one
write and leaves as one frame per connection. The presence tick is the slower rhythm at
which each connection's latest presence per board is sent on.
"""

from __future__ import annotations

from dataclasses import dataclass

LAG_WEIGHT = 0.2  # of the newest sample in the lag's moving average


@dataclass(slots=True)
class Ticks:
    """The hub's two ticks and how they stretch under load (``docs/design.md``, "Ticks").

    The op tick is ``op_s`` while the event loop keeps time, and grows by the loop's
    recent lag (how late its timers fire: the sign that it is busy) up to ``op_max_s``;
    the presence tick grows in the same proportion from ``presence_s`` up to
    ``presence_max_s``."""

    op_s: float = 0.005
    op_max_s: float = 0.020
    presence_s: float = 0.050
    presence_max_s: float = 0.100
    lag_s: float = 0.0  # exponentially weighted lag of the committer's timer

    def observe(self, lag_s: float) -> None:
        self.lag_s += LAG_WEIGHT * (max(0.0, lag_s) - self.lag_s)

    @property
    def op(self) -> float:
        return min(self.op_max_s, self.op_s + self.lag_s)

    @property
    def presence(self) -> float:
        if self.op_s <= 0:
            return self.presence_s
        stretch = self.op / self.op_s
        return min(max(self.presence_s, self.presence_max_s), self.presence_s * stretch)
