"""Shared fixtures: paths to the test data and to ../shared/realdata (skipped when absent)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

HERE = Path(__file__).parent
DATA = HERE / "data"
ROOT = HERE.parent
REALDATA = Path(os.environ.get("COURSEKIT_REALDATA", ROOT.parent / "shared" / "realdata"))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The dev-set folder ../shared/realdata; the test is skipped when it is absent."""
    if not (REALDATA / "index.json").is_file():
        pytest.skip(f"real data not available at {REALDATA} (needs ../shared/realdata)")
    return REALDATA


@pytest.fixture(scope="session")
def realdata_index(realdata) -> dict:
    return json.loads((realdata / "index.json").read_text())


@pytest.fixture(scope="session")
def places_json() -> Path:
    """../shared/places.json, beside the real data (``$COURSEKIT_REALDATA/..``); the test
    is skipped when it is absent."""
    path = REALDATA.parent / "places.json"
    if not path.is_file():
        pytest.skip(f"places.json not available at {path} (needs ../shared)")
    return path
