"""Evaluation and comparison results as rich tables and as Markdown."""

from __future__ import annotations

from typing import Any

from rich.table import Table


def _f(x: Any, d: int = 3) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.{d}f}"
    return str(x)


#: Result levels in display order, with their labels.
LEVELS = {"window": "window", "window_per_video": "window (videos weighted equally)",
          "video": "video"}


def evaluation_rows(res: dict[str, Any]) -> list[list[str]]:
    """Rows (setting, level, n, AUC, accuracy, Brier, ECE) for every evaluated setting."""
    rows = []

    def add(name, block, level):
        b = block.get(level)
        if b is None:
            return
        rows.append([name, LEVELS.get(level, level), _f(b.get("n")), _f(b.get("auc")),
                     _interval(b.get("auc_interval")), _f(b.get("accuracy")),
                     _f(b.get("false_positive_rate")), _f(b.get("brier")), _f(b.get("ece"))])

    for level in LEVELS:
        add("native", res["native"], level)
    mb = res["metadata_baseline"]
    rows.append(["metadata-only baseline (native)", "video", _f(mb.get("n")), _f(mb.get("auc")),
                 "–", _f(mb.get("accuracy")), "–", "–", "–"])
    for name, block in res.get("transcoded", {}).items():
        for level in LEVELS:
            add(name, block, level)
        mb = block["metadata_baseline"]
        rows.append([f"metadata-only baseline ({name})", "video", _f(mb.get("n")),
                     _f(mb.get("auc")), "–", _f(mb.get("accuracy")), "–", "–", "–"])
    return rows


def _interval(iv: list[float] | None, d: int = 2, signed: bool = False) -> str:
    if not iv:
        return "–"
    fmt = f"{{:+.{d}f}}" if signed else f"{{:.{d}f}}"
    return f"{fmt.format(iv[0])} to {fmt.format(iv[1])}"


HEAD = ["setting", "level", "n", "ROC AUC", "AUC 95 % interval", "accuracy @0.5",
        "camera/human-made called AI @0.5", "Brier", "ECE"]


def copy_difference_rows(res: dict[str, Any]) -> list[list[str]]:
    """Rows (copy, videos, video AUC minus native, its 95 % interval) per common format."""
    rows = []
    for name, block in res.get("transcoded", {}).items():
        d = block.get("difference_from_native")
        if d:
            rows.append([name, str(d["n"]), f"{d['difference']:+.3f}",
                         _interval(d["interval"], 3, signed=True)])
    return rows


COPY_HEAD = ["copy", "videos", "video AUC minus native", "95 % interval"]


def _table(title: str, head: list[str], rows: list[list[str]], left: int = 1) -> Table:
    """A rich table: the first ``left`` columns left-aligned (names), the rest right."""
    t = Table(title=title, header_style="bold")
    for i, h in enumerate(head):
        t.add_column(h, justify="left" if i < left else "right")
    for r in rows:
        t.add_row(*r)
    return t


def evaluation_table(res: dict[str, Any]) -> Table:
    return _table(f"evaluation: {res.get('procedure', 'leave one source out')}, calibrated "
                  f"on {', '.join(res.get('calibrated_on', ['native']))}", HEAD,
                  evaluation_rows(res), left=2)


def copy_difference_table(res: dict[str, Any]) -> Table:
    return _table("common-format copies against the native files", COPY_HEAD,
                  copy_difference_rows(res))


def learning_curve_rows(res: dict[str, Any]) -> list[list[str]]:
    """Rows (groups trained on, draws, mean video AUC, its spread over draws, the mean
    shares of camera/human-made and of 2024+ generated videos called generated)."""
    return [[str(r["training_sources"]), str(r["draws"]), _f(r["video_auc_mean"]),
             _f(r["video_auc_sd"]), _f(r.get("false_positive_rate_mean")),
             _f(r.get("recent_generated_accuracy_mean"))]
            for r in res.get("learning_curve", [])]


def _groups(res: dict[str, Any]) -> str:
    """The plural of what each fold held out ('sources', 'familys' never)."""
    g = res.get("group_by", "source")
    return {"family": "families", "source": "sources"}.get(g, f"{g} groups")


def _curve_unit(res: dict[str, Any]) -> str:
    """What the learning curve counts: all groups, or only those of generated clips."""
    if res.get("learning_curve_over") == "generated":
        return f"{_groups(res)} of generated clips"
    return _groups(res)


def curve_head(res: dict[str, Any]) -> list[str]:
    return [f"{_curve_unit(res)} trained on", "draws", "video AUC (mean over draws)",
            "standard deviation", "camera/human-made called AI @0.5 (mean)",
            "2024+ generated called AI @0.5 (mean)"]


def learning_curve_table(res: dict[str, Any]) -> Table:
    title = f"AUC against the number of {_curve_unit(res)} trained on"
    if res.get("learning_curve_over") == "generated":
        title += " (every other group always trained on)"
    return _table(title, curve_head(res), learning_curve_rows(res), left=0)


def per_group_head(name: str) -> list[str]:
    return [name, "year", "videos", "of which AI", "accuracy @0.5", "mean P(AI)",
            f"AUC inside the {name}"]


def per_group_rows(rows: list[dict[str, Any]]) -> list[list[str]]:
    """Rows per group (source or family); the AUC only where the group holds two videos of
    each class."""
    return [[r["name"], r.get("year") or "–", str(r["videos"]), str(r["ai"]),
             _f(r["accuracy"], 2), _f(r["mean_p_ai"], 2), _f(r.get("auc"), 2)]
            for r in rows]


def per_group_tables(res: dict[str, Any]) -> list[Table]:
    """The per-group table of the held-out groups, and a per-family one when the folds
    held out something else and the videos have a family."""
    nat = res["native"]
    name = res.get("group_by", "source")
    out = [_table(f"per {name} (video level, native, each predicted without its {name})",
                  per_group_head(name), per_group_rows(nat["per_group"]))]
    if nat.get("per_family"):
        out.append(_table(f"per generator family (video level, native, each predicted "
                          f"without its {name})", per_group_head("family"),
                          per_group_rows(nat["per_family"])))
    return out


def _md_table(head: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


#: Columns of the hypnotic index's table.
INDEX_HEAD = ["setting", "generated against", "videos", "ROC AUC", "AUC 95 % interval",
              "median generated", "median camera", "median human-made"]


def index_rows(res: dict[str, Any]) -> list[list[str]]:
    """Rows of the hypnotic index's separation of generated from camera (and human-made)
    videos, natively and on each common-format copy, from the held-out groups' models."""
    rows = []
    for setting, block in res.get("hypnotic_index", {}).items():
        med = block.get("median", {})
        for key, against in (("vs_camera", "camera"),
                             ("vs_camera_and_human", "camera and human-made")):
            b = block.get(key)
            if b:
                rows.append([setting, against, str(b["n"]), _f(b["auc"]),
                             _interval(b.get("auc_interval")), _f(med.get("ai"), 1),
                             _f(med.get("real"), 1), _f(med.get("human_cgi"), 1)])
    return rows


def index_table(res: dict[str, Any]) -> Table:
    return _table(f"hypnotic index ({res.get('procedure', 'leave one source out')})",
                  INDEX_HEAD, index_rows(res), left=2)


def evaluation_markdown(res: dict[str, Any], command: str) -> str:
    """The evaluation as Markdown (for docs/evaluation.md)."""
    nat = res["native"]
    groups = ("" if _groups(res) == "sources"
              else f" and {res.get('n_groups')} {_groups(res)}")
    parts = [
        f"Produced by `{command}` (hypnoscope {res['hypnoscope_version']}, "
        f"{res['n_videos']} labelled videos from {res['n_sources']} sources{groups}, "
        f"model windows of "
        f"{res['window_s']:g} s; predictions: "
        f"{res.get('procedure', 'leave one source out')}; calibrated on "
        f"{', '.join(res.get('calibrated_on', ['native']))}).",
        "",
        _md_table(HEAD, evaluation_rows(res)),
        "",
        f"AUC intervals resample whole {_groups(res)} with replacement (2000 times): they "
        f"are the independent units here, since each fold holds one out. A video is called "
        f"generated when its calibrated P(AI) is at least {nat.get('threshold', 0.5):g}.",
    ]
    copies = copy_difference_rows(res)
    if copies:
        parts += ["", "Common-format copies against the native files (the same videos, the "
                  "same source resamples):", "", _md_table(COPY_HEAD, copies)]
    if index_rows(res):
        parts += ["", "Hypnotic index (0..100; each video's index from the model fitted "
                  "without its group):", "", _md_table(INDEX_HEAD, index_rows(res))]
    parts += [
        "",
        "Reliability (video level, native, out-of-source predictions):",
        "",
        _md_table(["P(AI) bin", "videos", "mean predicted", "observed AI share"],
                  [[r["bin"], str(r["n"]), _f(r["mean_predicted"], 2),
                    _f(r["observed_ai"], 2)] for r in nat["reliability"]]),
        "",
        f"Per {res.get('group_by', 'source')} (video level, native):",
        "",
        _md_table(per_group_head(res.get("group_by", "source")), per_group_rows(nat["per_group"])),
    ]
    if nat.get("per_family"):
        parts += ["", "Per generator family (video level, native; camera and human-made "
                  "clips under their repository):", "",
                  _md_table(per_group_head("family"), per_group_rows(nat["per_family"]))]
    if res.get("learning_curve"):
        g, over = _curve_unit(res), res.get("learning_curve_over") == "generated"
        parts += ["", f"Video AUC against the number of {g} trained on (every "
                  f"{res.get('group_by', 'source')} predicted by a model fitted on that "
                  f"many others, drawn at random" + (", and on every other group without "
                  "generated clips" if over else "") + "; the last row is the plain "
                  "leave-one-out figure):", "",
                  _md_table(curve_head(res), learning_curve_rows(res))]
    for name, block in res.get("transcoded", {}).items():
        if block.get("failed"):
            parts += ["", f"{name}: {len(block['failed'])} file(s) could not be transcoded:",
                      *[f"- {x}" for x in block["failed"]]]
    return "\n".join(parts) + "\n"


def _metric_cells(r: dict[str, Any], a: str, b: str) -> list[str]:
    """A compared metric's cells: name, factor, the two medians, Cliff's delta, AUC, p, and
    the median AUC inside sources holding both groups (with how many there are)."""
    per = r.get("within_source_auc") or {}
    within = f"{r['within_source_median_auc']:.2f} ({len(per)})" if per else "–"
    return [r["metric"], r["factor"], f"{r[f'median_{a}']:.4g}", f"{r[f'median_{b}']:.4g}",
            f"{r['cliffs_delta']:+.2f}", auc_with_interval(r["auc"], r.get("auc_interval")),
            f"{r['p_value']:.1e}", within]


def auc_with_interval(auc: float, iv: list[float] | None) -> str:
    """'0.79 (0.71–0.88)': an AUC and its interval over source resamples, when known."""
    return f"{auc:.2f} ({iv[0]:.2f}–{iv[1]:.2f})" if iv else f"{auc:.2f}"


def compare_table(res: dict[str, Any], limit: int = 60) -> Table:
    a, b = res["groups"]
    within = any("within_source_auc" in r for r in res["metrics"])
    heads = ["metric", "factor", f"median {a}", f"median {b}", "Cliff's δ", "AUC", "p"]
    rows = [_metric_cells(r, a, b) for r in res["metrics"][:limit]]
    return _table(f"{a} vs {b} (one value per video: median over its windows)",
                  heads + ["AUC within sources"] if within else heads,
                  rows if within else [r[:-1] for r in rows], left=2)


def compare_markdown(res: dict[str, Any], limit: int = 15) -> str:
    """The metrics with the largest effects as a Markdown table (the AUC with its 95 %
    interval over source resamples, and the median AUC inside the sources that hold both
    groups, with how many such sources)."""
    a, b = res["groups"]
    rows = [_metric_cells(r, a, b) for r in res["metrics"][:limit]]
    return _md_table(["metric", "factor", f"median {a}", f"median {b}", "Cliff's δ",
                      "single-metric AUC (95 % interval)", "p", "AUC within sources (n)"],
                     rows)


def scorecard_table(card: list[dict[str, Any]]) -> Table:
    t = Table(title="thesis scorecard (AUC in the thesis's direction: 1 = holds, "
                    "0.5 = no difference, 0 = the opposite)", header_style="bold")
    for h in ("claim", "verdict", "median AUC", "strongest effect"):
        t.add_column(h)
    for c in card:
        best = c["best"]
        ev = (f"{best['metric']} (AUC "
              f"{auc_with_interval(best['thesis_auc'], best.get('thesis_auc_interval'))}, "
              f"δ {best['cliffs_delta']:+.2f})" if best else "no metric")
        med = c["median_thesis_auc"]
        t.add_row(c["claim"], c["verdict"], "–" if med != med else f"{med:.2f}", ev)
    return t


def scorecard_markdown(card: list[dict[str, Any]]) -> str:
    rows = []
    for c in card:
        ev = ", ".join(f"{e['metric']} "
                       f"{auc_with_interval(e['thesis_auc'], e.get('thesis_auc_interval'))}"
                       for e in c["evidence"][:4])
        med = c["median_thesis_auc"]
        rows.append([c["claim"], c["verdict"], "–" if med != med else f"{med:.2f}", ev])
    return _md_table(["claim", "verdict", "median thesis AUC",
                      "metrics (thesis AUC, 95 % interval over source resamples)"], rows)
