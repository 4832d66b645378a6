"""What the pages show, as SQL: the corpus table (sorted, filtered and paged by DuckDB),
the points of the scatter view, the groups of the compare view, thumbnails, and one
video's stored document.

The per-video numbers the corpus view sorts on (AI-likeness, hypnotic index, the six
factor percentiles) live inside each video's ``document`` JSON, next to its keyframes;
parsing 100,000 documents on every request would take seconds. So the catalog copies
them once into a small in-memory DuckDB table (``idx``: one row per video, no
thumbnails), rebuilt when the database file has changed; every page is then one query on
that table. Thumbnails, metrics and documents are read from the database itself for the
few videos a page shows.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb

from hypnoscope.batch.store import DUCKDB_CONFIG
from hypnoscope.web.source import ResultsSource, Signature, SourceError, _sql_str

#: The six factors of the thesis, in report order (hypnoscope.report.verdict.FACTOR_ORDER,
#: repeated so that the catalog does not import the report stack).
FACTORS = ("fluidity", "pace", "pressure", "wander", "polish", "focus")

#: Memory DuckDB may use for the index and while building it.
MEMORY_LIMIT = "512MB"

#: Sortable columns of the corpus view: URL name -> (SQL expression on idx, heading).
COLUMNS: dict[str, tuple[str, str]] = {
    "name": ("file_name", "name"),
    "label": ("label", "label"),
    "source": ("source", "source"),
    "duration": ("duration_s", "duration"),
    "ai": ("ai", "AI-likeness"),
    "hyp": ("hyp", "hypnotic index"),
    **{f: (f, f) for f in FACTORS},
    "cuts": ("cuts_per_min", "cuts / min"),
    "status": ("status", "status"),
}

#: Axes of the scatter view held in idx: URL name -> (column, label, unit).
IDX_AXES: dict[str, tuple[str, str]] = {
    "ai_likeness": ("ai", "AI-likeness"),
    "hypnotic_index": ("hyp", "hypnotic index"),
    **{f"{f}_pct": (f, f"{f} (percentile among camera footage)") for f in FACTORS},
    "duration_s": ("duration_s", "duration (s)"),
    "cuts_per_minute": ("cuts_per_min", "cuts per minute"),
}

_PATHS = (["$.scores.ai_likeness", "$.scores.hypnotic_index", "$.scores.status",
           "$.scores.reason"] + [f"$.scores.factors.{f}.pct_real" for f in FACTORS]
          + ["$.keyframes[0].kind"])

#: One idx row per video of the attached database ``src`` that passes ``{where}``.
_ROWS = f"""
WITH j AS (
  SELECT v.*, json_extract_string(v.document, {_PATHS!r}) AS s FROM src.videos v
  WHERE {{where}}
)
SELECT video_id, analysis_key, path, file_name, size_bytes, label, source, folder, status,
       error_kind, error, duration_s, updated_at,
       TRY_CAST(s[1] AS DOUBLE) AS ai, TRY_CAST(s[2] AS DOUBLE) AS hyp,
       s[3] AS score_status, s[4] AS score_reason,
       {", ".join(f"TRY_CAST(s[{5 + k}] AS DOUBLE) AS {f}" for k, f in enumerate(FACTORS))},
       s[{5 + len(FACTORS)}] IS NOT NULL AS has_thumb,
       m.value AS cuts_per_min
FROM j LEFT JOIN (SELECT video_id, any_value(value) AS value FROM src.metrics
                  WHERE window_index = -1 AND metric = 'cuts_per_minute'
                  AND video_id IN (SELECT video_id FROM j) GROUP BY video_id) m
USING (video_id)
"""


@dataclass
class Query:
    """The state of the corpus view, as read from the URL (every field validated)."""

    sort: str = "ai"
    desc: bool = True
    label: str | None = None
    source: str | None = None
    q: str = ""
    status: str = "all"
    key: str | None = None
    page: int = 1
    per: int = 50

    def where(self) -> tuple[str, list[Any]]:
        """The SQL WHERE clause on idx and its parameters."""
        conds, params = ["TRUE"], []
        for col, value in (("label", self.label), ("source", self.source)):
            if value:
                conds.append(f"{col} = ?")
                params.append(value)
        if self.q:
            conds.append("contains(lower(file_name), lower(?))")
            params.append(self.q)
        if self.status in ("ok", "failed"):
            conds.append("status = ?")
            params.append(self.status)
        if self.key:
            conds.append("analysis_key = ?")
            params.append(self.key)
        return " AND ".join(conds), params


@dataclass
class Page:
    """One page of the corpus view."""

    rows: list[dict[str, Any]]
    total: int
    query: Query
    pages: int
    labels: list[str | None] = field(default_factory=list)
    sources: list[str | None] = field(default_factory=list)
    keys: list[tuple[str, int]] = field(default_factory=list)


def _clean(x: Any) -> Any:
    return None if isinstance(x, float) and not math.isfinite(x) else x


_B64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")


def jpeg_data_url(b64: str | None) -> str | None:
    """A ``data:`` URL for a base64 JPEG, or None unless it is one (nothing else is ever
    put into a data URL)."""
    if not b64 or not _B64.match(b64):
        return None
    try:
        head = base64.b64decode(b64[:8])
    except (binascii.Error, ValueError):
        return None
    return "data:image/jpeg;base64," + b64 if head.startswith(b"\xff\xd8") else None


class Catalog:
    """The browser's view of one results database (read-only)."""

    def __init__(self, source: ResultsSource):
        self.source = source
        self._tmp = tempfile.TemporaryDirectory(prefix="hypnoscope-browse-index-")
        self._mem = duckdb.connect(":memory:", config=DUCKDB_CONFIG)
        self._mem.execute("SET enable_progress_bar = false")
        # reading every stored document fills DuckDB's buffer pool (1.2 GB for 100,000
        # videos); a limit makes it let go of those pages (about 100 MB then), and a
        # private folder takes what would not fit
        self._mem.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        self._mem.execute(f"SET temp_directory = '{_sql_str(self._tmp.name)}'")
        self._lock = threading.Lock()
        self._sig: Signature | None = None
        self._built_at = 0.0
        self.build_s = math.nan
        self.metrics: list[tuple[str, str, str]] = []  # (metric, unit, factor)
        self.default_key: str | None = None
        self.refresh(force=True)

    # -- the index -----------------------------------------------------------------------
    def refresh(self, force: bool = False) -> None:
        """Rebuild the index when the database has changed (at most every
        ``source.refresh_s`` seconds while it keeps changing)."""
        sig = self.source.signature()
        with self._lock:
            if not force and (sig == self._sig or
                              time.time() - self._built_at < self.source.refresh_s):
                return
            t0 = time.perf_counter()
            con = self._mem
            self.source.attach(con, "src")
            try:
                tables = {r[0] for r in con.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_catalog = 'src'").fetchall()}
                if not {"videos", "metrics"} <= tables:
                    raise SourceError(f"{self.source.path}: not a hypnoscope results database "
                                      f"(no videos table)")
                same_file = self._sig is not None and self._sig.db[2] == sig.db[2]
                if not (same_file and self._update(con)):
                    con.execute("CREATE OR REPLACE TABLE idx AS " + _ROWS.format(where="TRUE"))
                self.metrics = [(m, u or "", f or "") for m, u, f in con.execute(
                    "SELECT metric, unit, factor FROM src.metric_info ORDER BY factor, metric"
                ).fetchall()] if "metric_info" in tables else []
            finally:
                con.execute("DETACH src")
            keys = con.execute("SELECT analysis_key, count(*) FROM idx GROUP BY 1 "
                               "ORDER BY 2 DESC, 1").fetchall()
            self.default_key = keys[0][0] if len(keys) > 1 else None
            self._sig, self._built_at = sig, time.time()
            self.build_s = time.perf_counter() - t0

    def close(self) -> None:
        """Close the index and remove its folder."""
        self._mem.close()
        self._tmp.cleanup()

    def _update(self, con: duckdb.DuckDBPyConnection) -> bool:
        """Bring idx up to date with the rows written since it was built (a batch writes
        each video with a new ``updated_at``); False when a full rebuild is needed."""
        last = con.execute("SELECT max(updated_at) FROM idx").fetchone()[0]
        if last is None:
            return False
        con.execute("BEGIN")
        try:
            con.execute("CREATE OR REPLACE TEMP TABLE fresh AS "
                        + _ROWS.format(where="v.updated_at >= ?"), [last])
            con.execute("DELETE FROM idx WHERE video_id IN (SELECT video_id FROM fresh)")
            con.execute("INSERT INTO idx SELECT * FROM fresh")
            n_idx = con.execute("SELECT count(*) FROM idx").fetchone()[0]
            n_src = con.execute("SELECT count(*) FROM src.videos").fetchone()[0]
            if n_idx != n_src:  # rows went away: start again
                con.execute("ROLLBACK")
                return False
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return True

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        self.refresh()
        return self._mem.cursor()

    # -- the corpus view -----------------------------------------------------------------
    def page(self, q: Query) -> Page:
        """The rows of one page of the corpus view, sorted, filtered and paged in SQL."""
        cur = self._cursor()
        try:
            where, params = q.where()
            total = cur.execute(f"SELECT count(*) FROM idx WHERE {where}", params).fetchone()[0]
            pages = max(1, math.ceil(total / q.per))
            q.page = min(max(1, q.page), pages)
            col = COLUMNS[q.sort][0]
            order = f"{col} {'DESC' if q.desc else 'ASC'} NULLS LAST, video_id"
            res = cur.execute(
                f"SELECT * FROM idx WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
                params + [q.per, (q.page - 1) * q.per])
            names = [d[0] for d in res.description]
            rows = [{k: _clean(v) for k, v in zip(names, r, strict=True)}
                    for r in res.fetchall()]
            labels = [r[0] for r in cur.execute(
                "SELECT DISTINCT label FROM idx ORDER BY label NULLS LAST").fetchall()]
            sources = [r[0] for r in cur.execute(
                "SELECT DISTINCT source FROM idx ORDER BY source NULLS LAST").fetchall()]
            keys = cur.execute("SELECT analysis_key, count(*) FROM idx GROUP BY 1 "
                               "ORDER BY 2 DESC, 1").fetchall()
        finally:
            cur.close()
        self._add_thumbnails(rows)
        return Page(rows, total, q, pages, labels, sources, keys if len(keys) > 1 else [])

    def _add_thumbnails(self, rows: list[dict[str, Any]]) -> None:
        ids = [r["video_id"] for r in rows if r.get("has_thumb")]
        thumbs: dict[str, str | None] = {}
        if ids:
            with self.source.connect() as con:
                thumbs = dict(con.execute(
                    "SELECT video_id, json_extract_string(document, '$.keyframes[0].jpeg_base64')"
                    " FROM videos WHERE video_id = ANY(?::VARCHAR[])",
                    [ids]).fetchall())
        for r in rows:
            r["thumb"] = jpeg_data_url(thumbs.get(r["video_id"]))

    # -- one video -----------------------------------------------------------------------
    def video(self, video_id: str) -> dict[str, Any] | None:
        """The index row of ``video_id``, or None when the database has no such video."""
        cur = self._cursor()
        try:
            res = cur.execute("SELECT * FROM idx WHERE video_id = ?", [video_id])
            row = res.fetchone()
            return None if row is None else dict(zip([d[0] for d in res.description], row,
                                                     strict=True))
        finally:
            cur.close()

    def document(self, video_id: str) -> dict[str, Any]:
        """The stored analysis document of ``video_id`` (as ``report --db`` reads it)."""
        from hypnoscope.report.stored import document_from_store

        with self.source.connect() as con:
            return document_from_store(con, video_id)

    # -- the scatter view ----------------------------------------------------------------
    def axes(self) -> dict[str, str]:
        """Every axis the scatter view offers: name -> label."""
        out = {k: v[1] for k, v in IDX_AXES.items()}
        for m, unit, _factor in self.metrics:
            out.setdefault(m, f"{m} ({unit})" if unit else m)
        return out

    def points(self, x: str, y: str, color: str, q: Query) -> dict[str, Any]:
        """The scatter's points: ids, names, x, y and the colour group of every video
        matching ``q`` with both values finite."""
        if color not in ("label", "source", "folder", "status"):
            raise ValueError(f"cannot colour by {color!r}")
        where, params = q.where()
        cur = self._cursor()
        try:
            base = cur.execute(
                f"SELECT video_id, file_name, {color}, "
                f"{self._idx_expr(x)}, {self._idx_expr(y)} FROM idx WHERE {where} "
                f"ORDER BY video_id", params).fetchall()
        finally:
            cur.close()
        extra = {a: self._metric_values(a) for a in {x, y} if a not in IDX_AXES}
        ids, names, xs, ys, groups = [], [], [], [], []
        for vid, name, group, vx, vy in base:
            vx = extra[x].get(vid) if x in extra else vx
            vy = extra[y].get(vid) if y in extra else vy
            if vx is None or vy is None or not (math.isfinite(vx) and math.isfinite(vy)):
                continue
            ids.append(vid)
            names.append(name or "")
            xs.append(float(vx))
            ys.append(float(vy))
            groups.append("" if group is None else str(group))
        return {"id": ids, "name": names, "x": xs, "y": ys, "group": groups,
                "x_label": self.axes()[x], "y_label": self.axes()[y]}

    def _idx_expr(self, axis: str) -> str:
        if axis in IDX_AXES:
            return IDX_AXES[axis][0]
        if axis in self.axes():
            return "NULL::DOUBLE"
        raise ValueError(f"no metric named {axis!r}")

    def _metric_values(self, metric: str) -> dict[str, float]:
        with self.source.connect() as con:
            return dict(con.execute(
                "SELECT video_id, any_value(value) FROM metrics WHERE window_index = -1 "
                "AND metric = ? AND value IS NOT NULL GROUP BY video_id", [metric]).fetchall())

    # -- the compare view ----------------------------------------------------------------
    def group_values(self, by: str) -> list[tuple[str, int]]:
        """The values of column ``by`` among analyzed videos, with their counts."""
        if by not in ("label", "source", "folder"):
            raise ValueError(f"cannot group by {by!r}")
        cur = self._cursor()
        try:
            return [(v, n) for v, n in cur.execute(
                f"SELECT {by}, count(*) FROM idx WHERE status = 'ok' AND {by} IS NOT NULL "
                f"GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()]
        finally:
            cur.close()

    def group_metrics(self, by: str, value: str, limit: int = 5000,
                      key: str | None = None) -> tuple[list[dict[str, float]], int]:
        """Whole-video metrics of the analyzed videos whose ``by`` is ``value`` (``by`` =
        ``name``: whose file name contains it), at most ``limit`` of them (a fixed sample:
        the first by video_id); (one ``{metric: value}`` dict per video, how many match)."""
        if by == "name":
            cond = "contains(lower(v.file_name), lower($1))"
        elif by in ("label", "source", "folder"):
            cond = f"v.{by} = $1"
        else:
            raise ValueError(f"cannot group by {by!r}")
        cond = cond.replace("$1", "?")
        params: list[Any] = [value]
        if key:
            cond += " AND v.analysis_key = ?"
            params.append(key)
        with self.source.connect() as con:
            n = con.execute(f"SELECT count(*) FROM videos v WHERE v.status = 'ok' AND {cond}",
                            params).fetchone()[0]
            rows = con.execute(
                f"WITH g AS (SELECT video_id FROM videos v WHERE v.status = 'ok' AND {cond} "
                f"ORDER BY video_id LIMIT ?) "
                f"SELECT m.video_id, m.metric, m.value FROM metrics m JOIN g USING (video_id) "
                f"WHERE m.window_index = -1", params + [limit]).fetchall()
        per: dict[str, dict[str, float]] = {}
        for vid, metric, v in rows:
            per.setdefault(vid, {})[metric] = math.nan if v is None else float(v)
        return [per[k] for k in sorted(per)], int(n)


def parse_query(params: Mapping[str, str]) -> Query:
    """A :class:`Query` from URL parameters; unknown values are refused with ValueError."""
    q = Query()
    sort = params.get("sort", q.sort)
    if sort not in COLUMNS:
        raise ValueError(f"cannot sort by {sort!r}")
    q.sort = sort
    default_dir = "asc" if sort in ("name", "label", "source", "status") else "desc"
    q.desc = params.get("dir", default_dir) != "asc"
    q.label = params.get("label") or None
    q.source = params.get("source") or None
    q.q = params.get("q", "")[:200]
    q.status = params.get("status", "all")
    if q.status not in ("all", "ok", "failed"):
        raise ValueError(f"no status {q.status!r}")
    q.key = params.get("key") or None
    try:
        q.page = int(params.get("page", "1"))
        q.per = int(params.get("per", "50"))
    except ValueError:
        raise ValueError("page and per are whole numbers") from None
    if not 1 <= q.per <= 500:
        raise ValueError("per is 1..500")
    return q
