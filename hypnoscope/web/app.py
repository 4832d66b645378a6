"""The browser's web application (Starlette): the corpus, scatter, clip and compare views,
the scatter's data as JSON, and the source videos with HTTP range requests.

Every page is rendered by Jinja2 with autoescape on; the clip and compare views are the
HTML reports of ``hypnoscope report --db`` and ``compare``, with a navigation bar added.
The only files served are the few static files of this package (by a fixed name) and the
video files whose paths are recorded in the database (by video id, never by a path taken
from the request). Errors are one-line pages.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import os
import sys
import urllib.parse
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from hypnoscope._version import __version__
from hypnoscope.report.verdict import verdict_word
from hypnoscope.web.catalog import COLUMNS, FACTORS, Catalog, parse_query
from hypnoscope.web.paths import display_path, fs_path
from hypnoscope.web.source import SourceError

HERE = Path(__file__).parent
REPORT_TEMPLATES = HERE.parent / "report" / "templates"

#: The static files served, by name (nothing else under /static/ exists).
STATIC = {"scatter.js": "text/javascript; charset=utf-8"}

#: A second line of defence behind escaping: no script but this package's, no request
#: to anywhere but this server.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; media-src 'self'; connect-src 'self'; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")

#: Videos compared at most in a group (a fixed sample beyond): the report draws every
#: metric's distribution, which costs about 0.3 s a metric whatever the group size.
COMPARE_LIMIT = 2000

#: Kinds of media a browser plays in <video> / shows in <img>.
IMAGE_EXT = {".gif", ".webp", ".apng", ".png"}


class PageError(Exception):
    """An error shown as a one-line page with an HTTP status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Jinja2 for the browser's pages (autoescape always on); the report templates are
    reachable too, so that the pages share the reports' look."""
    from hypnoscope.report.html import environment as report_env

    env = Environment(loader=ChoiceLoader([FileSystemLoader(str(HERE / "templates")),
                                           FileSystemLoader(str(REPORT_TEMPLATES))]),
                      autoescape=True, undefined=StrictUndefined, trim_blocks=True,
                      lstrip_blocks=True)
    env.filters.update(report_env().filters)
    env.filters["path"] = display_path
    env.globals["url_id"] = lambda vid: urllib.parse.quote(str(vid), safe="")
    env.globals["verdict_word"] = verdict_word
    return env


def render(name: str, code: int = 200, **ctx: Any) -> HTMLResponse:
    """The page of template ``name`` with HTTP status ``code``."""
    ctx.setdefault("report_version", __version__)
    return HTMLResponse(environment().get_template(name).render(**ctx), status_code=code)


def with_nav(html: str, fragment: str) -> str:
    """``html`` (a report page) with ``fragment`` put at the top of its <main>."""
    i = html.find("<main>")
    if i < 0:
        return fragment + html
    i += len("<main>")
    return html[:i] + "\n" + fragment + html[i:]


def _fmt_time(ts: float | None) -> str:
    return "" if ts is None else dt.datetime.fromtimestamp(ts).strftime("%H:%M:%S")


class Browser:
    """The pages over one :class:`Catalog`."""

    def __init__(self, catalog: Catalog, debug: bool = False):
        self.catalog = catalog
        self.debug = debug
        self._compared: OrderedDict[tuple, str] = OrderedDict()  # recent compare pages

    # -- shared ----------------------------------------------------------------------------
    def _common(self, view: str) -> dict[str, Any]:
        src = self.catalog.source
        return {"view": view, "db_name": src.path.name,
                "snapshot": _fmt_time(src.snapshot_time) if src.mode == "snapshot" else "",
                "factors": FACTORS}

    def nav(self, view: str) -> str:
        return environment().get_template("_nav.html.j2").render(**self._common(view))

    def _params(self, request: Request) -> dict[str, str]:
        return {k: v for k, v in request.query_params.items() if len(v) <= 500}

    def _query(self, params: dict[str, str]):
        try:
            q = parse_query(params)
        except ValueError as e:
            raise PageError(400, str(e)) from None
        key = params.get("key")
        q.key = None if key == "all" else (key or self.catalog.default_key)
        return q

    # -- the corpus view -----------------------------------------------------------------
    def corpus(self, request: Request) -> Response:
        params = self._params(request)
        q = self._query(params)
        page = self.catalog.page(q)

        def link(**changes: Any) -> str:
            merged = {**params, **{k: str(v) for k, v in changes.items() if v is not None}}
            merged = {k: v for k, v in merged.items() if v != ""}
            return "?" + urllib.parse.urlencode(merged)

        def sort_link(col: str) -> str:
            if q.sort == col:
                return link(sort=col, dir="desc" if not q.desc else "asc", page=1)
            return link(sort=col, dir="", page=1)

        headings = [{"col": c, "title": t, "active": q.sort == c, "desc": q.desc,
                     "href": sort_link(c)} for c, (_, t) in COLUMNS.items()]
        here = urllib.parse.urlencode(params)
        back_param = "?" + urllib.parse.urlencode({"back": "?" + here}) if here else ""
        return render("corpus.html.j2", **self._common("corpus"), page=page, q=q,
                      headings={h["col"]: h for h in headings}, link=link,
                      back_param=back_param,
                      counts=page.total, build_s=self.catalog.build_s)

    # -- the scatter view ----------------------------------------------------------------
    def scatter(self, request: Request) -> Response:
        params = self._params(request)
        q = self._query(params)
        axes = self.catalog.axes()
        x = params.get("x", "ai_likeness")
        y = params.get("y", "hypnotic_index")
        color = params.get("color", "label")
        for a in (x, y):
            if a not in axes:
                raise PageError(400, f"no metric named {a!r}")
        if color not in ("label", "source", "folder", "status"):
            raise PageError(400, f"cannot colour by {color!r}")
        data_params = {k: v for k, v in params.items() if v}
        data_params.update({"x": x, "y": y, "color": color})
        if q.key:
            data_params["key"] = q.key
        return render("scatter.html.j2", **self._common("scatter"), axes=axes, x=x, y=y,
                      color=color, q=q,
                      data_url="/api/points?" + urllib.parse.urlencode(data_params))

    def points(self, request: Request) -> Response:
        params = self._params(request)
        q = self._query(params)
        axes = self.catalog.axes()
        x, y = params.get("x", "ai_likeness"), params.get("y", "hypnotic_index")
        if x not in axes or y not in axes:
            raise PageError(400, "unknown metric")
        try:
            data = self.catalog.points(x, y, params.get("color", "label"), q)
        except ValueError as e:
            raise PageError(400, str(e)) from None
        return JSONResponse(data)

    # -- one clip ------------------------------------------------------------------------
    def _video(self, request: Request) -> dict[str, Any]:
        vid = request.path_params["video_id"]
        row = self.catalog.video(vid)
        if row is None:
            raise PageError(404, f"no video {vid!r} in this database")
        return row

    def media_kind(self, row: dict[str, Any]) -> str | None:
        """"video" or "image" when the recorded file is still at its path (same size as
        when it was analyzed), else None."""
        path = row.get("path")
        if not path:
            return None
        try:
            st = os.stat(fs_path(path))
        except OSError:
            return None
        from stat import S_ISREG

        size = row.get("size_bytes")
        if not S_ISREG(st.st_mode) or (size is not None and st.st_size != size):
            return None
        return "image" if os.path.splitext(path)[1].lower() in IMAGE_EXT else "video"

    def clip(self, request: Request) -> Response:
        row = self._video(request)
        common = self._common("clip")
        kind = self.media_kind(row)
        back = request.query_params.get("back", "")
        if not back.startswith("?") or len(back) > 1000:
            back = ""
        player = environment().get_template("_player.html.j2").render(
            **common, row=row, kind=kind, back=back)
        if row["status"] != "ok":
            return render("failed.html.j2", **common, row=row, player=Markup(player))
        from hypnoscope.analysis import Analysis
        from hypnoscope.report.html import render_clip_report

        try:
            a = Analysis.from_dict(self.catalog.document(row["video_id"]))
        except (KeyError, TypeError, ValueError) as e:
            raise PageError(500, f"the stored analysis of {row['file_name']!r} cannot be "
                                 f"read ({type(e).__name__}: {e})") from None
        html = render_clip_report(a)
        return HTMLResponse(with_nav(html, self.nav("clip") + player))

    def media(self, request: Request) -> Response:
        row = self._video(request)
        if self.media_kind(row) is None:
            raise PageError(404, f"{display_path(row['path'])}: the file is no longer at its "
                                 f"recorded path (or it changed since it was analyzed)")
        path = fs_path(row["path"])
        mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if not mime.startswith(("video/", "image/")):
            mime = "application/octet-stream"
        return FileResponse(path, media_type=mime, content_disposition_type="inline")

    # -- compare -------------------------------------------------------------------------
    def compare(self, request: Request) -> Response:
        params = self._params(request)
        by = params.get("by", "label")
        if by not in ("label", "source", "folder", "name"):
            raise PageError(400, f"cannot group by {by!r}")
        values = self.catalog.group_values(by) if by != "name" else []
        a, b = params.get("a", ""), params.get("b", "")
        if not a and not b and len(values) >= 2:
            names = [v for v, _ in values]
            if by == "label" and "ai" in names:  # camera footage is the reference
                a, b = next(v for v in names if v != "ai"), "ai"
            else:
                a, b = names[0], names[1]
        form = environment().get_template("_compare_form.html.j2").render(
            by=by, a=a, b=b, values=values)
        nav = self.nav("compare")
        if not a or not b or a == b:
            message = ("choose two different groups" if a or b else
                       f"the database has fewer than two groups by {by}")
            return render("message.html.j2", **self._common("compare"), form=Markup(form),
                          message=message)
        q = self._query(params)
        cache_key = (by, a, b, q.key, self.catalog.source.signature())
        if cache_key in self._compared:
            self._compared.move_to_end(cache_key)
            return HTMLResponse(self._compared[cache_key])
        groups, notes = {}, []
        for value in (a, b):
            rows, n = self.catalog.group_metrics(by, value, limit=COMPARE_LIMIT, key=q.key)
            if not rows:
                return render("message.html.j2", 404, **self._common("compare"),
                              form=Markup(form),
                              message=f"no analyzed video has {value!r} in its name"
                              if by == "name" else f"no analyzed video has {by} {value!r}")
            if n > len(rows):
                notes.append(f"{value}: the first {len(rows)} of {n} videos by id")
            groups[value] = rows
        from hypnoscope.report.html import render_compare_report

        html = render_compare_report(groups, title=f"{by}: {a} vs {b}", level="clips")
        note = environment().get_template("_note.html.j2").render(notes=notes)
        page = with_nav(html, nav + form + note)
        self._compared[cache_key] = page
        while len(self._compared) > 8:
            self._compared.popitem(last=False)
        return HTMLResponse(page)

    # -- static files and errors ---------------------------------------------------------
    def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            raise PageError(404, "no such file")
        return Response((HERE / "static" / name).read_bytes(), media_type=STATIC[name],
                        headers={"Cache-Control": "no-cache"})

    def error_page(self, request: Request, exc: Exception) -> Response:
        from hypnoscope.report.stored import NotFound

        if isinstance(exc, PageError):
            status, msg = exc.status, exc.message
        elif isinstance(exc, HTTPException):
            status = exc.status_code
            msg = "no such page" if status == 404 else str(exc.detail)
        elif isinstance(exc, SourceError):
            status, msg = 503, str(exc)
        elif isinstance(exc, NotFound):
            status, msg = 404, str(exc)
        else:
            status = 500
            msg = f"internal error: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
            print(f"hypnoscope browse: {request.url.path}: {msg}", file=sys.stderr)
            if self.debug:
                import traceback

                traceback.print_exception(exc)
        return render("error.html.j2", status, status=status, message=msg,
                      **self._common("error"))


def _guard(browser: Browser):
    async def dispatch(request: Request, call_next):
        try:
            response = await call_next(request)
        except Exception as e:  # noqa: BLE001 - every error is a one-line page
            response = browser.error_page(request, e)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    return dispatch


def create_app(catalog: Catalog, hosts: list[str] | None = None,
               debug: bool = False) -> Starlette:
    """The Starlette application over ``catalog``; ``hosts``: the Host header values
    accepted (default: loopback names only, so that no other site can reach the page by
    DNS rebinding)."""
    from starlette.middleware.base import BaseHTTPMiddleware

    b = Browser(catalog, debug=debug)
    env = environment()  # the report stack (matplotlib, Jinja2) loads now, not on a page
    for name in env.list_templates(extensions=["j2"]):
        env.get_template(name)  # compiled now too

    routes = [
        Route("/", b.corpus),
        Route("/scatter", b.scatter),
        Route("/api/points", b.points),
        Route("/clip/{video_id}", b.clip),
        Route("/media/{video_id}", b.media),
        Route("/compare", b.compare),
        Route("/static/{name}", b.static),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
    ]
    allowed = hosts or ["127.0.0.1", "localhost", "[::1]", "::1"]
    return Starlette(
        routes=routes,
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=allowed),
                    Middleware(BaseHTTPMiddleware, dispatch=_guard(b))],
        exception_handlers={HTTPException: b.error_page, PageError: b.error_page},
    )


__all__ = ["create_app", "Browser", "PageError", "with_nav"]
