"""The same queries against a real OPA server, when one is reachable at $OPA_URL.

No OPA binary exists on the build machines (CI included), so without OPA_URL this
module is skipped, and says so; with it, OPA must agree with regorus.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from servegate.engines import get_engine
from servegate.engines.base import EngineError
from tests.test_engines import MIXED, demo_bundle

OPA_URL = os.environ.get("OPA_URL", "")

pytestmark = pytest.mark.skipif(
    not OPA_URL,
    reason="OPA_URL not set: no OPA server on this machine (none in CI either: no OPA binary)",
)


def test_opa_agrees_with_regorus(tmp_path: Path) -> None:
    bundle = demo_bundle(tmp_path)
    opa = get_engine("opa", opa_url=OPA_URL)
    expected = get_engine("regorus").query(bundle.modules, bundle.data, MIXED, bundle.queries)
    assert opa.query(bundle.modules, bundle.data, MIXED, bundle.queries) == expected
    assert opa.version != "unknown"


def test_opa_compile_error_names_the_file() -> None:
    opa = get_engine("opa", opa_url=OPA_URL)
    broken = {"broken/broken.rego": "package broken\nimport rego.v1\ndeny contains v if {\n"}
    with pytest.raises(EngineError, match=r"broken/broken\.rego"):
        opa.query(broken, {}, {}, ["data.broken.deny"])
