"""The summary's "what can scale": pods per model by KEDA, nodes per pool by the node
autoscaler, judged from what the inventory declares."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from servegate.cli.terminal import print_summary
from servegate.summary import Scaling, scaling_of, summarize
from tests import stacks

RELEASE = "kubernetes:helm.sh/v3:Release"


def _without_node_autoscaler(stack: str) -> dict[str, Any]:
    inventory = copy.deepcopy(stacks.inventory(stack))
    for index in inventory["by_type"][RELEASE]:
        release = inventory["resources"][index]
        if release["props"]["chart"].endswith("/cluster-autoscaler"):
            release["props"]["chart"] = release["props"]["chart"].replace(
                "cluster-autoscaler", "not-an-autoscaler"
            )
    return inventory


def test_prod_ca_scales_pods_by_keda_and_nodes_by_cluster_autoscaler() -> None:
    spec = stacks.spec("prod-ca")
    lines = set(scaling_of(stacks.inventory("prod-ca")))
    floor = spec.replica_floor
    for model in spec.models:
        assert (
            Scaling("pods", model.name, "KEDA", max(model.replicas.min, floor), model.replicas.max)
            in lines
        )
        if model.canary and not spec.analysed(model):
            replicas = model.canary.replicas
            assert Scaling("pods", f"{model.name}/canary", None, replicas, replicas) in lines
    for pool in spec.gpu_pools:
        assert (
            Scaling("nodes", pool.name, "Cluster Autoscaler", pool.min_size, pool.max_size) in lines
        )


def test_without_a_node_autoscaler_pools_stay_at_their_minimum() -> None:
    spec = stacks.spec("prod-ca")
    lines = scaling_of(_without_node_autoscaler("prod-ca"))
    nodes = {line.name: line for line in lines if line.kind == "nodes"}
    for pool in spec.gpu_pools:
        assert nodes[pool.name] == Scaling("nodes", pool.name, None, pool.min_size, pool.min_size)


def test_the_terminal_never_claims_node_scaling_that_does_not_exist(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # one line per table row
    spec = stacks.spec("prod-eu")
    print_summary(summarize(spec, _without_node_autoscaler("prod-eu")))
    fixed = capsys.readouterr().out
    pool = spec.gpu_pools[0]
    assert f"{pool.min_size} (no node autoscaler)" in fixed
    assert f"{pool.min_size}-{pool.max_size}" not in fixed.split("Models")[0]
    print_summary(summarize(spec, stacks.inventory("prod-eu")))
    scaled = capsys.readouterr().out
    assert "What can scale" in scaled and "Cluster Autoscaler" in scaled
    assert f"{pool.min_size}-{pool.max_size}" in scaled
