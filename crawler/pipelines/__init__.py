"""Item pipelines (normalize, validate, write); filled by the spider issue."""
