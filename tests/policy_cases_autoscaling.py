"""Plan mutations that make exactly one node-autoscaling rule fire.

Same contract as tests/policy_cases_residency_sla_cost.py: each case edits the compliant
prod-ca preview in place and returns the one resource its rule must fire on. In prod-ca
both GPU pools can outgrow their minimum (l4: 5 stable replicas + 1 canary on 3 GPUs;
l40s: 3 replicas x 4 GPUs on 8), so both need the node autoscaler.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.policy_cases_residency_sla_cost import (
    NODE_GROUP,
    Doc,
    PolicyCase,
    State,
    Target,
    _add_step,
    _find,
    _target,
)

RELEASE = "kubernetes:helm.sh/v3:Release"
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"


def _cluster_autoscaler(state: State) -> bool:
    return str(state["inputs"].get("chart", "")).endswith("/cluster-autoscaler")


def _pool_group(pool: str) -> Callable[[State], bool]:
    def matches(state: State) -> bool:
        return bool(state["inputs"].get("labels", {}).get("servegate.io/pool") == pool)

    return matches


def sla_017(doc: Doc) -> Target:
    # A custom discovery tag that only the l4 pool's Auto Scaling group carries (its
    # scale-from-zero label template): the l40s pool is left without a node autoscaler.
    release = _find(doc, RELEASE, _cluster_autoscaler)
    discovery = release["inputs"]["values"]["autoDiscovery"]
    discovery["tags"] = [
        *discovery["tags"],
        "k8s.io/cluster-autoscaler/node-template/label/servegate.io/pool=l4",
    ]
    return _target(_find(doc, NODE_GROUP, _pool_group("l40s")))


def sla_018(doc: Doc) -> Target:
    # A Karpenter NodePool for pool l4 with its labels and taint but no GPU limit: it could
    # add GPUs beyond the maxSize COST-001 prices.
    group = _find(doc, NODE_GROUP, _pool_group("l4"))
    labels = group["inputs"]["labels"]
    node_pool = _add_step(
        doc,
        _find(doc, RELEASE, _cluster_autoscaler),
        NODE_POOL,
        "l4-burst",
        {
            "apiVersion": "karpenter.sh/v1",
            "kind": "NodePool",
            "metadata": {"name": "l4-burst"},
            "spec": {
                "template": {
                    "metadata": {"labels": dict(labels)},
                    "spec": {
                        "nodeClassRef": {
                            "group": "karpenter.k8s.aws",
                            "kind": "EC2NodeClass",
                            "name": "l4",
                        },
                        "taints": [
                            {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}
                        ],
                    },
                },
                "limits": {"cpu": "1000"},
            },
        },
    )
    return _target(node_pool)


AUTOSCALING_CASES: dict[str, PolicyCase] = {
    "SLA-017": sla_017,
    "SLA-018": sla_018,
}
