"""The lock files pin every declared dependency at a version the declaration allows, so an
install from them (make run, make test, the image) is what pyproject.toml says."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9._-]+)(?:\[[^\]]*\])?==([^\s;]+)")


def _pins(lock: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / lock).read_text().splitlines():
        match = PIN.match(line)
        if match:
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def _declared() -> dict[str, list[Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    return {
        "requirements.txt": [Requirement(r) for r in project["dependencies"] + extras["fast"]],
        "requirements-dev.txt": [
            Requirement(r) for r in project["dependencies"] + extras["fast"] + extras["dev"]
        ],
    }


@pytest.mark.parametrize("lock", ["requirements.txt", "requirements-dev.txt"])
def test_every_declared_dependency_is_pinned_within_its_range(lock: str) -> None:
    pins = _pins(lock)
    problems = []
    for requirement in _declared()[lock]:
        name = canonicalize_name(requirement.name)
        if name not in pins:
            problems.append(f"{requirement.name} is not in {lock}")
        elif not requirement.specifier.contains(pins[name], prereleases=True):
            problems.append(f"{requirement.name}=={pins[name]} is outside {requirement.specifier}")
    assert problems == [], "run `make lock`: " + "; ".join(problems)


def test_running_does_not_install_the_test_tools() -> None:
    run = _pins("requirements.txt")
    for tool in ("pytest", "mypy", "ruff", "playwright", "schemathesis", "aiosmtpd"):
        assert tool not in run, f"{tool} is a test tool but requirements.txt installs it"
