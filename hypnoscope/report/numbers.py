"""Numbers as every report writes them (light: no rich, no NumPy beyond its types)."""

from __future__ import annotations

import math

import numpy as np


def fmt(value: float, unit: str = "") -> str:
    """A number with 3 significant digits (or '–' when undefined)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    a = abs(value)
    s = f"{value:.3g}" if (a >= 1e-3 or a == 0) else f"{value:.2e}"
    return s
