"""Reading the map: the analysis of actor maps, pure (no I/O), beside the core.

A board's visible objects go in; typed results come out, with every suggestion phrased
as a question in Dutch and English in the words of the workshop deck. Modules:

- :mod:`.graph` the map as a graph (actors, ties, signs, directions);
- :mod:`.paths` shortest paths of the whole map at once (betweenness, reach);
- :mod:`.brokerage` Burt's constraint and effective size, Gould-Fernandez roles;
- :mod:`.polarisation` communities, signed balance, the best two-camp split, E-I, score;
- :mod:`.players` schakels, pushers and volgers, movers, Brandsma's roles, role questions;
- :mod:`.whatif` what changes when one actor drops out; fragile links;
- :mod:`.compare` the actors several boards of a workshop share;
- :mod:`.texts` the words; :mod:`.board` one board's whole analysis.

The definitions are in each module's docstring and in ``docs/analysis.md``.
"""

from .board import ANALYSIS_VERSION, BoardAnalysis, Headline, analyse_board
from .compare import SharedActor, shared_actors
from .graph import MapGraph, build, normalise_label

__all__ = [
    "ANALYSIS_VERSION",
    "BoardAnalysis",
    "Headline",
    "MapGraph",
    "SharedActor",
    "analyse_board",
    "build",
    "normalise_label",
    "shared_actors",
]
