"""PNG and PDF from SVG (cairosvg), and PDF from the report's HTML (WeasyPrint).

Both are maintained Python renderers on top of Cairo and Pango, the system libraries
``make`` installs (Debian's ``libcairo2``, ``libpango-1.0-0``); no browser is needed on
the server. Where a library is missing the hub still serves everything else and answers
these formats with ``unavailable`` (503) and a reason that names the missing package.
"""

from __future__ import annotations

import logging
from typing import Any

from schakel_core.errors import Unavailable

logger = logging.getLogger(__name__)

PNG_SCALE = 1.5  # a map drawn at 1.5 x its SVG size reads well on a screen and in print


def _cairosvg() -> Any:
    try:
        import cairosvg
    except (ImportError, OSError) as exc:  # OSError: libcairo is not installed
        raise Unavailable(f"PNG and PDF need Cairo (Debian: libcairo2): {exc}") from None
    return cairosvg


def png(svg: str, scale: float = PNG_SCALE) -> bytes:
    data: bytes = _cairosvg().svg2png(bytestring=svg.encode(), scale=scale)
    return data


def pdf(svg: str) -> bytes:
    data: bytes = _cairosvg().svg2pdf(bytestring=svg.encode())
    return data


def html_pdf(html: str) -> bytes:
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: Pango is not installed
        raise Unavailable(f"the PDF report needs Pango (Debian: libpango-1.0-0): {exc}") from None
    data: bytes = weasyprint.HTML(string=html).write_pdf()
    return data
