"""``python -m hypnoscope`` runs the command line."""

from hypnoscope.cli import main

main()
