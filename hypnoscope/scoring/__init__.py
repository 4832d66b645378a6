"""Calibration: window features → a versioned JSON model → AI-likeness, hypnotic index and
reasons; plus leave-one-source-out evaluation and the thesis scorecard.

Module by module: ``features`` (window tables), ``model`` (the JSON model and prediction),
``train`` (fitting), ``evaluate`` (leave-one-source-out, metadata baseline), ``compare``
(effect sizes, scorecard), ``score`` (scores for one analysis), ``thesis`` (the claims).
"""
