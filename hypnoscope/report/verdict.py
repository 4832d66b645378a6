"""The calibrated verdict as the reports read it, from ``analysis.extras["scores"]``.

The calibration (``hypnoscope train``) is what puts scores into an analysis. The reports
only read them, through this small interface, and say "not calibrated yet" when there are
none. The expected shape of ``analysis.extras["scores"]``::

    {
      "ai_likeness": 0.87,            # calibrated probability, 0..1
      "hypnotic_index": 74.0,         # 0..100
      "reasons": ["no cut in 8.0 s; camera footage cuts every 3.1 s (median)", ...],
      "factors": {"fluidity": {"value": 1.3, "pct_real": 96.0, "pct_ai": 55.0}, ...},
      "model": "default-2025-01",     # optional: which model made them
      "status": "ok"                  # or "insufficient", with "reason": "..."
    }

``pct_real`` and ``pct_ai`` are percentiles (0..100) of the factor among the camera and the
AI reference footage. Every key is optional; what is missing is simply not shown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: The six factors of the thesis, in the order the reports show them.
FACTOR_ORDER = ("fluidity", "pace", "pressure", "wander", "polish", "focus")

#: What each factor means, in a few words (for the factor bars).
FACTOR_MEANING = {
    "fluidity": "blends everything, no sharp edges in time",
    "pace": "slow, steady motion",
    "pressure": "constant pressure, no setup and payoff",
    "wander": "keeps morphing and wandering",
    "morph": "keeps morphing",
    "polish": "visual candy: clean, sharp, saturated",
    "focus": "nothing emphasised",
}


#: Words for the calibrated AI-likeness (0..1), each with the lowest value it covers. The
#: probability is calibrated, so the words follow what was observed out of family
#: (docs/evaluation.md, reliability table): the number stays the verdict, the word says how
#: decided it is.
UNDECIDED = "undecided"
VERDICT_WORDS: tuple[tuple[float, str], ...] = (
    (0.8, "looks generated"),
    (0.6, "probably generated"),
    (0.4, UNDECIDED),
    (0.2, "probably camera or hand-made"),
    (0.0, "looks camera or hand-made"),
)


def verdict_word(ai_likeness: float) -> str:
    """The words for a calibrated AI-likeness (0..1) from :data:`VERDICT_WORDS`; "" for a
    missing (nan) value."""
    if not math.isfinite(ai_likeness):
        return ""
    return next(word for low, word in VERDICT_WORDS if ai_likeness >= low)


def word_band(word: str) -> tuple[float, float]:
    """The AI-likeness range [low, high) that :func:`verdict_word` names ``word`` (the top
    band includes 1)."""
    highs = (1.0,) + tuple(low for low, _ in VERDICT_WORDS[:-1])
    for (low, w), high in zip(VERDICT_WORDS, highs, strict=True):
        if w == word:
            return low, high
    raise KeyError(word)


@dataclass(frozen=True)
class FactorScore:
    """One factor's value and its percentiles (0..100) among camera and AI footage."""

    name: str
    value: float = math.nan
    pct_real: float = math.nan
    pct_ai: float = math.nan


@dataclass(frozen=True)
class Verdict:
    """The scores of one analysis, or an explicit absence of them."""

    ai_likeness: float = math.nan
    hypnotic_index: float = math.nan
    reasons: tuple[str, ...] = ()
    factors: tuple[FactorScore, ...] = ()
    status: str = "ok"
    reason: str = ""
    model: str = ""

    @property
    def word(self) -> str:
        """How decided the AI-likeness is, in words (:func:`verdict_word`)."""
        return verdict_word(self.ai_likeness)

    @property
    def calibrated(self) -> bool:
        """True when there is at least one score to show."""
        return self.status == "ok" and (math.isfinite(self.ai_likeness)
                                        or math.isfinite(self.hypnotic_index)
                                        or bool(self.factors))


def _f(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return math.nan
    return v if math.isfinite(v) else math.nan


def factor_sort_key(name: str) -> tuple[int, str]:
    return (FACTOR_ORDER.index(name) if name in FACTOR_ORDER else len(FACTOR_ORDER), name)


def verdict_of(extras: Mapping[str, Any] | None) -> Verdict | None:
    """The :class:`Verdict` in an analysis' extras, or None when it holds no scores."""
    scores = (extras or {}).get("scores")
    if not isinstance(scores, Mapping):
        return None
    factors_in = scores.get("factors") or {}
    factors = []
    if isinstance(factors_in, Mapping):
        for name in sorted(factors_in, key=factor_sort_key):
            d = factors_in[name]
            if isinstance(d, Mapping):
                factors.append(FactorScore(str(name), _f(d.get("value")), _f(d.get("pct_real")),
                                           _f(d.get("pct_ai"))))
            else:
                factors.append(FactorScore(str(name), _f(d)))
    reasons = scores.get("reasons") or ()
    if isinstance(reasons, str):
        reasons = (reasons,)
    return Verdict(
        ai_likeness=_f(scores.get("ai_likeness")),
        hypnotic_index=_f(scores.get("hypnotic_index")),
        reasons=tuple(str(r) for r in reasons),
        factors=tuple(factors),
        status=str(scores.get("status") or "ok"),
        reason=str(scores.get("reason") or ""),
        model=str(scores.get("model") or ""),
    )
