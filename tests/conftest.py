"""Shared pytest set-up: hypothesis profiles (one registration for every property test)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_SUPPRESS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
# CI: a few hundred deterministic examples; HYPOTHESIS_PROFILE=fuzz for the long run (benchmarks/README.md)
settings.register_profile("ci", max_examples=200, deadline=None, derandomize=True, database=None, suppress_health_check=_SUPPRESS)
settings.register_profile("fuzz", max_examples=10_000, deadline=None, database=None, suppress_health_check=_SUPPRESS)
HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
