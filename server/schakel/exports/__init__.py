"""Results leave the room: every board and the whole workshop as files.

- :mod:`.svg` the board drawn as SVG from the board model, with a legend;
- :mod:`.render` PNG and PDF from that SVG (cairosvg), the report's PDF (WeasyPrint);
- :mod:`.graphs` GraphML, GEXF, node-link JSON and CSV for other tools;
- :mod:`.boardfile` Schakel's own board file, and importing a board (JSON or GraphML);
- :mod:`.report` the workshop report as one self-contained HTML page;
- :mod:`.files` every format as bytes with its media type, and the ZIP of everything;
- :mod:`.style` the palette and words the drawings share with the web client.

Pure functions of plain data: the hub runs them in its worker process, the ``schakel
export`` command directly.
"""
