"""The calibrated model: a small versioned JSON file, and what it computes.

The file holds the feature list, the per-feature transform (signed log with a scale) and
standardisation, the logistic-regression coefficients, the Platt calibration fitted on
out-of-source predictions, and reference percentiles of every metric for each class. It is
fitted by :mod:`hypnoscope.scoring.train`; nothing in it is tuned by hand.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

#: The threshold on the calibrated P(AI) at which a video is called generated: the
#: calibration (Platt, on out-of-source predictions with both classes weighted equally)
#: makes 0.5 the point of even odds.
THRESHOLD = 0.5

MODEL_FORMAT = "hypnoscope-model/1"
#: Percentiles stored for each metric and class.
REFERENCE_QUANTILES = tuple(range(0, 101, 5))


@dataclass
class Model:
    """A fitted AI-likeness model plus the reference distributions of both classes."""

    features: list[str]
    scale: list[float]          # signed-log scale per feature
    mean: list[float]           # standardisation after the transform
    std: list[float]
    fill: list[float]           # value used for a missing (nan) feature, before transform
    coef: list[float]
    intercept: float
    platt_a: float              # p = 1 / (1 + exp(a * z + b)), z the decision value
    platt_b: float
    window_s: float
    hop_s: float
    reference: dict[str, dict[str, list[float]]]  # metric -> class -> percentiles
    provenance: dict[str, Any] = field(default_factory=dict)
    format: str = MODEL_FORMAT
    #: The hypnotic index's fitted part (:mod:`hypnoscope.scoring.index`); empty in model
    #: files written before it was fitted.
    hypnotic: dict[str, Any] = field(default_factory=dict)

    # -- persistence ---------------------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, allow_nan=False)

    def save(self, path: str | Path) -> None:
        """Write the model to ``path`` whole or not at all."""
        from hypnoscope.report.output import write_atomic

        write_atomic(path, self.to_json())

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Model:
        if doc.get("format") != MODEL_FORMAT:
            raise ValueError(f"not a {MODEL_FORMAT} model file (format={doc.get('format')!r})")
        return cls(**doc)

    @classmethod
    def load(cls, path: str | Path) -> Model:
        """The model in file ``path``. Raises ValueError, with a one-line message naming the
        file and the cause, when it is missing or is not a hypnoscope model."""
        try:
            doc = json.loads(Path(path).read_text())
            if not isinstance(doc, dict):
                raise ValueError("not a JSON object")
            return cls.from_dict(doc)
        except FileNotFoundError:
            raise ValueError(f"{path}: model file not found") from None
        except (OSError, UnicodeDecodeError, ValueError, TypeError) as e:
            raise ValueError(f"{path}: not a usable model file: "
                             f"{' '.join(str(e).split())}") from e

    # -- prediction ----------------------------------------------------------------------
    def transform(self, X: np.ndarray) -> np.ndarray:
        """Feature values (n, f) → standardised model inputs (n, f)."""
        from hypnoscope.scoring.features import signed_log

        return signed_log(X, self.fill, self.scale, self.mean, self.std)

    def decision(self, X: np.ndarray) -> np.ndarray:
        return self.transform(X) @ np.asarray(self.coef) + self.intercept

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Calibrated probability that each row is generated."""
        z = self.decision(X)
        return 1.0 / (1.0 + np.exp(self.platt_a * z + self.platt_b))

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Each feature's share of the decision value for one row (log-odds units)."""
        return self.transform(x)[0] * np.asarray(self.coef) * (-self.platt_a)

    def percentile(self, metric: str, value: float, cls: str) -> float:
        """Where ``value`` falls among the reference windows of class ``cls`` (0..100)."""
        ref = self.reference.get(metric, {}).get(cls)
        if not ref or not np.isfinite(value):
            return float("nan")
        return quantile_rank(np.asarray(ref, dtype=float), float(value))

    def reference_median(self, metric: str, cls: str) -> float:
        ref = self.reference.get(metric, {}).get(cls)
        return float(ref[len(ref) // 2]) if ref else float("nan")


def quantile_rank(q: np.ndarray, value: float) -> float:
    """Percentile (0..100) of ``value`` in a distribution given by its quantiles ``q`` at
    :data:`REFERENCE_QUANTILES`, interpolated, with ties counted at their middle."""
    levels = np.asarray(REFERENCE_QUANTILES, dtype=float)
    uq, first = np.unique(q, return_index=True)
    last = len(q) - 1 - np.unique(q[::-1], return_index=True)[1]
    if len(uq) == 1:
        return 50.0 if value == uq[0] else (0.0 if value < uq[0] else 100.0)
    lo = np.interp(value, uq, levels[first], left=0.0, right=100.0)
    hi = np.interp(value, uq, levels[last], left=0.0, right=100.0)
    return float((lo + hi) / 2.0)


def default_model_path() -> Path:
    return Path(str(resources.files("hypnoscope.scoring") / "models" / "default.json"))


def load_default_model() -> Model | None:
    """The model shipped in the package, or None when none has been fitted yet."""
    path = default_model_path()
    return Model.load(path) if path.is_file() else None
