"""Shared test helpers: paths to the repo and to the team's shared folder."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

# Property tests check behaviour, not speed: a loaded machine must not fail them (no deadline,
# no "too slow" health check), and they keep no example database in the repo tree. Under CI
# (the CI variable is set) Hypothesis loads its own "ci" profile, which also derandomizes.
settings.register_profile(
    "probewatch",
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
if settings.get_current_profile_name() != "ci":
    settings.load_profile("probewatch")
# Hypothesis also caches what it learns from the source files; keep that out of the repo too.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "probewatch-hypothesis")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO
