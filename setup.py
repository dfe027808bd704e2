"""Build hook: pyproject.toml holds the metadata; this adds the policy library to the wheel.

The Rego rules and their parameters (policies/, owned by compliance) live beside the
packages, not inside one, so package data cannot name them. The wheel carries a copy at
components/policies, where components.catalog.policies_dir finds it when the checkout's
policies/ is not there.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

POLICIES = Path(__file__).resolve().parent / "policies"


class BuildWithPolicies(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "components" / "policies"
        shutil.copytree(
            POLICIES,
            target,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            dirs_exist_ok=True,
        )


setup(cmdclass={"build_py": BuildWithPolicies})
