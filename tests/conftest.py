"""Shared test settings: hypothesis runs the same examples on every run, so CI is reproducible."""

from hypothesis import settings

settings.register_profile("tracegrad", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("tracegrad")
