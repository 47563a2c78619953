"""Unit constants shared by the model, the extraction and the verifier."""

SECONDS_PER_HOUR = 3600.0
