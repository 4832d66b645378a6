"""``hypnoscope browse``: a local web page over a results database.

- :mod:`.source`: read-only access to the database, directly or through a snapshot while
  a batch writes it;
- :mod:`.catalog`: what the pages show, as SQL (sorting, filtering and paging in DuckDB);
- :mod:`.app`: the Starlette application (pages, the scatter's data, the video files);
- :mod:`.paths`: stored paths shown and opened.

Imported only by the ``browse`` command, never by ``import hypnoscope``.
"""
