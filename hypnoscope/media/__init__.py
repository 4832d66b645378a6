"""Media in and out: decoding a video into analysis frames (:mod:`.decode`), writing
common-format copies (:mod:`.transcode`) and synthetic test clips (:mod:`.synth`)."""
