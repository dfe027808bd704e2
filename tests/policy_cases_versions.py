"""End-to-end cases of the EKS version rules, on the suite's fixed evaluation date.

The e2e suite judges every plan ``--as-of`` :data:`AS_OF`, so these cases do not age: on
2026-12-01 Kubernetes 1.33 is in extended support (since 2026-07-29) and 1.34 leaves standard
support the next day (2026-12-02), within SEC-013's 90 days. The compliant plan pins 1.35.
"""

from __future__ import annotations

from typing import Any

from tests.policy_cases_audit_security import PolicyCase, Target, _first, _target

AS_OF = "2026-12-01"
CLUSTER_TYPE = "aws:eks/cluster:Cluster"


def _cluster_on(doc: dict[str, Any], version: str) -> Target:
    cluster = _first(doc, CLUSTER_TYPE)
    cluster["inputs"]["version"] = version
    return _target(cluster)


def sec_012(doc: dict[str, Any]) -> Target:
    return _cluster_on(doc, "1.33")


def sec_013(doc: dict[str, Any]) -> Target:
    return _cluster_on(doc, "1.34")


VERSION_CASES: dict[str, PolicyCase] = {
    "SEC-012": sec_012,
    "SEC-013": sec_013,
}
