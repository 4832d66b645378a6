"""Presenting analyses: the terminal summary, and self-contained HTML reports."""
