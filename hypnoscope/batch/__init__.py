"""Scale: analyzing many files. Inputs are collected (:mod:`.inputs`), scheduled on a local
process pool (:mod:`.pool`) or on Ray (:mod:`.ray_engine`), analyzed in worker processes with
time and memory limits (:mod:`.worker`), and written by one writer into DuckDB
(:mod:`.store`); :mod:`.run` ties them together."""
