"""Presenting analyses: the terminal summary (and, later, HTML reports)."""
