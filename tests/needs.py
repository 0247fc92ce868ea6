"""What a test needs that may be missing on a developer's machine: skip there, fail in CI.

CI installs everything the tests use (.ci/run: Java and the OWL API, chromium, the ml and
repurpose extras, the example plugin, the default model), and exports ``CI=true``. A
missing piece there is a broken install, so a skip would be a silent pass: under CI each
helper here fails instead, with what to install. Every skip in the tests goes through
them (tests/test_test_hygiene.py checks), except the one that depends on the hardware
(a CUDA GPU), which no install can provide.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


def missing(reason: str, *, module: bool = False) -> NoReturn:
    """Skip (``module``: the whole module), or fail under CI."""
    if in_ci():
        pytest.fail(f"{reason}, and CI must run this test (.ci/run installs it)", pytrace=False)
    pytest.skip(reason, allow_module_level=module)


def need_module(name: str, reason: str) -> ModuleType:
    """``import name``, or :func:`missing` (a module-level need)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        missing(reason, module=True)


def requires(available: bool, reason: str) -> pytest.MarkDecorator:
    """A mark: skip when not ``available``; under CI the test runs and fails on its own."""
    return pytest.mark.skipif(not available and not in_ci(), reason=reason)
