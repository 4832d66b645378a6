"""``hypnoscope browse``: a local web page over a results database."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Annotated

import typer

from hypnoscope.cli.options import one_line

DEFAULT_PORT = 8765


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int | None) -> socket.socket:
    """A listening socket on ``host``: on ``port``, or when none is given on 8765 if it is
    free and else on a free port the system picks."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    tries = [port] if port is not None else [DEFAULT_PORT, 0]
    last: OSError | None = None
    for p in tries:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host.strip("[]"), p))
        except OSError as e:
            sock.close()
            last = e
            continue
        sock.listen(128)
        sock.set_inheritable(True)
        return sock
    raise OSError(f"cannot listen on {host}:{port if port is not None else DEFAULT_PORT} "
                  f"({last.strerror if last else 'unknown'})")


def browse_cmd(
    db: Annotated[Path, typer.Option("--db", help="The results database (from batch).")],
    host: Annotated[str, typer.Option(
        help="Address to listen on. The default answers this machine only; another address "
             "lets anyone who reaches it browse the results and play the recorded files.")]
    = "127.0.0.1",
    port: Annotated[int | None, typer.Option(
        help="Port (default: 8765, or a free one if 8765 is taken; 0: a free one).",
        min=0, max=65535)] = None,
    refresh: Annotated[float, typer.Option(
        help="While a batch writes the database, take a new copy of it at most this often, "
             "s.", min=0.0)] = 2.0,
    debug: Annotated[bool, typer.Option("--debug", help="Print tracebacks of server errors "
                                                        "on stderr.")] = False,
):
    """Browse a results database in a local web page: the corpus sorted and filtered, a
    scatter of any two metrics, each clip's report with its video, and groups compared.
    Reads only; works while a batch is still writing the database."""
    import uvicorn

    from hypnoscope.web.app import create_app
    from hypnoscope.web.catalog import Catalog
    from hypnoscope.web.source import ResultsSource, SourceError

    try:
        if db.is_file() and db.stat().st_size > 200e6:
            one_line(f"reading {db} ({db.stat().st_size / 1e9:.1f} GB) ...")
        source = ResultsSource(db, refresh_s=refresh)
        catalog = Catalog(source)
    except SourceError as e:
        one_line(f"error: {e}")
        raise typer.Exit(1) from None
    try:
        sock = bind(host, port)
    except OSError as e:
        one_line(f"error: {e}")
        catalog.close()
        source.close()
        raise typer.Exit(1) from None
    bound = sock.getsockname()[1]
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    hosts = None
    if not _is_loopback(host):
        one_line(f"warning: listening on {host}: anyone who can reach this machine on port "
                 f"{bound} can browse these results and play the recorded video files")
        hosts = ["*"]
    app = create_app(catalog, hosts=hosts, debug=debug)
    print(f"hypnoscope browse: http://{shown}:{bound}/  ({db}; Ctrl-C to stop)", flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        catalog.close()
        source.close()


def register(app: typer.Typer) -> None:
    """Add ``browse`` to ``app``."""
    app.command("browse")(browse_cmd)
