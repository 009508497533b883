"""The stack that is tested is the stack that is deployed: same Powertools, same Python."""

from __future__ import annotations

import glob
import os
import re
import shutil
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _requirement(lines: list[str], name: str) -> str | None:
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if re.match(rf"{re.escape(name)}\b", line, re.IGNORECASE):
            return line.replace(" ", "")
    return None


def test_powertools_is_pinned_to_one_version_for_tests_and_the_layer() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    tested = _requirement(project["project"]["dependencies"], "aws-lambda-powertools")
    layer = _requirement((ROOT / "shared/requirements.txt").read_text().splitlines(), "aws-lambda-powertools")
    assert tested is not None and "==" in tested, tested
    assert tested == layer


def test_the_installed_powertools_is_the_pinned_one() -> None:
    from importlib.metadata import version

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pinned = _requirement(project["project"]["dependencies"], "aws-lambda-powertools")
    assert pinned is not None
    assert version("aws-lambda-powertools") == pinned.split("==")[1]


def test_zone_names_work_without_the_system_database() -> None:
    # The layer ships tzdata: zoneinfo falls back to it where /usr/share/zoneinfo is missing.
    layer = (ROOT / "shared/requirements.txt").read_text().splitlines()
    assert _requirement(layer, "tzdata") is not None


class _CfnLoader(yaml.SafeLoader):
    pass


_CfnLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _interpreter_on_machine(runtime: str) -> str | None:
    """Where the Makefile finds the deployed interpreter: PATH (not a pyenv shim), then pyenv."""
    found = shutil.which(runtime)
    if found and "shims" not in found:
        return found
    pyenv = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{runtime[6:]}*/bin/{runtime}")))
    return pyenv[-1] if pyenv else None


def test_the_template_deploys_the_interpreter_the_tests_run_on() -> None:
    template = yaml.load((ROOT / "infra/template.yaml").read_text(), Loader=_CfnLoader)
    runtime = template["Globals"]["Function"]["Runtime"]
    deployed = tuple(int(part) for part in runtime.removeprefix("python").split("."))
    if sys.version_info[:2] != deployed and _interpreter_on_machine(runtime) is None:
        pytest.skip(f"{runtime} is not on this machine; the tests ran on {sys.version.split()[0]}")
    assert sys.version_info[:2] == deployed, (
        f"tests run on {sys.version_info[0]}.{sys.version_info[1]}, the template deploys {runtime}: "
        "rebuild .venv with that Python (make clean test)"
    )
