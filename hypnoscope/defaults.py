"""The analysis defaults, in one light module that the single pass and the command line
share (the command line reads them without importing the decoder or the metrics)."""

#: Default analysis rate in frames per second. Most generated clips in the reference corpus
#: are 8 fps and camera footage is 24-30 fps; analysing everything at 8 fps puts both classes
#: on the same temporal grid (a slower clip keeps its own, never up-sampled, frames).
DEFAULT_FPS = 8.0
#: Default analysis height in pixels (width follows the display aspect ratio, even).
DEFAULT_HEIGHT = 180
#: Default window length (s) for per-window metrics.
DEFAULT_WINDOW_S = 4.0
