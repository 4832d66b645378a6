"""The command line, at the edge of the package: one Typer app, one module per command group.

- :mod:`.analyze`: ``analyze``, ``report``, ``compare``
- :mod:`.demo`: ``demo``
- :mod:`.batch`: ``batch``, ``query``, ``summary``, ``export`` (the results database)
- :mod:`.scoring`: ``train``, ``evaluate`` (and ``compare --db``)
- :mod:`.intent`: ``steer``, ``edit``
- :mod:`.browse`: ``browse`` (a local web page over a results database)
- :mod:`.scenes`: ``scenes`` (shot lists: PySceneDetect CSV, OpenTimelineIO, JSON)
- :mod:`.options`: the options and one-line error helpers they share

Building the app imports only Typer, rich and these light modules; each command imports
the stack it uses when it runs, so ``hypnoscope --version`` answers at once.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from hypnoscope._version import __version__

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Measure why a video feels hypnotic, fluid and uncanny, and explain it.")


def _version(value: bool) -> None:
    if value:
        print(f"hypnoscope {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version,
                                                 is_eager=True,
                                                 help="Print the version and exit.")] = False):
    """hypnoscope: the temporal signature of a video, measured and explained."""


def _register_commands() -> None:
    from hypnoscope.cli import analyze, batch, browse, demo, intent, scenes, scoring

    for group in (analyze, demo, batch, scoring, intent, browse, scenes):
        group.register(app)


_register_commands()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
