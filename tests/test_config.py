"""Typed stack config: the shipped stacks validate; bad configs give one clear line per problem."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import catalog
from components.config import ConfigError, load_stack, parse_spec, read_stack_config
from tests import stacks

STACKS = catalog.PROJECT_ROOT / "stacks"


def _prod_ca() -> dict[str, Any]:
    return read_stack_config(STACKS / "Pulumi.prod-ca.yaml")


@pytest.mark.parametrize("stack", stacks.SHIPPED)
def test_shipped_stacks_validate(stack: str) -> None:
    spec = load_stack(stack)
    assert spec.stack == stack
    assert spec.region in catalog.zones()[spec.residency.zone]


def test_prod_ca_is_sovereign_air_gapped_with_two_models_and_a_canary() -> None:
    spec = load_stack("prod-ca")
    assert (spec.region, spec.residency.zone, spec.residency.air_gapped) == (
        "ca-central-1",
        "ca",
        True,
    )
    assert spec.sla is not None and spec.sla.availability == 99.9
    assert len(spec.models) == 2
    canaries = [m for m in spec.models if m.canary]
    assert len(canaries) == 1 and 0 < canaries[0].canary.weight < 100  # type: ignore[union-attr]
    assert all(m.source.startswith("s3://") for m in spec.models)
    assert spec.registry.images and ".ca-central-1." in spec.registry.images


def test_prod_eu_and_dev_declarations() -> None:
    eu = load_stack("prod-eu")
    assert (eu.region, eu.residency.zone) == ("eu-central-1", "eu")
    assert eu.sla is not None and eu.sla.availability == 99.95
    assert eu.replica_floor == 3
    dev = load_stack("dev")
    assert dev.sla is None and not dev.residency.sovereign
    assert [(p.min_size, p.max_size) for p in dev.gpu_pools] == [(1, 1)]
    assert dev.models[0].replicas.min == 1


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation setting a dotted path (list indexes as numbers) in the config mapping."""

    def mutate(config: dict[str, Any]) -> None:
        key, _, rest_path = path.partition("/")
        rest = [rest_path] if rest_path else []
        if not rest:
            config[key] = value
            return
        node: Any = config[key]
        parts = rest[0].split(".")
        for part in parts[:-1]:
            node = node[int(part)] if part.isdigit() else node[part]
        last = parts[-1]
        if last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(config: dict[str, Any]) -> None:
        key, _, rest = path.partition("/")
        node: Any = config[key]
        parts = rest.split(".")
        for part in parts[:-1]:
            node = node[int(part)] if part.isdigit() else node[part]
        del node[parts[-1]]

    return mutate


def _both(*mutations: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def mutate(config: dict[str, Any]) -> None:
        for mutation in mutations:
            mutation(config)

    return mutate


INVALID = [
    (
        _both(
            _set("llm-serving:models/1.gpusPerReplica", 8),
            _set("llm-serving:models/1.tensorParallelSize", 8),
        ),
        "llm-serving:models[1].gpusPerReplica: 8 does not fit pool 'l40s' "
        "(g6e.12xlarge has 4 GPUs per node)",
    ),
    (
        _set("llm-serving:models/0.pool", "h100"),
        "llm-serving:models[0].pool: 'h100' is not a pool of this stack (l4, l40s)",
    ),
    (
        _set("llm-serving:models/1.tensorParallelSize", 2),
        "llm-serving:models[1].tensorParallelSize: 2 must equal gpusPerReplica 4",
    ),
    (
        _set("llm-serving:models/0.replicas", {"min": 4, "max": 2}),
        "llm-serving:models[0].replicas.min: 4 is greater than replicas.max 2",
    ),
    (
        _set("llm-serving:gpuPools/0.minSize", 9),
        "llm-serving:gpuPools[0].minSize: 9 is greater than maxSize 6",
    ),
    (
        _set("llm-serving:residency/zone", "mars"),
        "llm-serving:residency.zone: 'mars' is not a known zone",
    ),
    (_set("aws:region", "us-east-1"), "aws:region: 'us-east-1' is not in zone 'ca'"),
    (
        _set("llm-serving:observability/payloadSampling.rate", 1.5),
        "llm-serving:observability.payloadSampling.rate: 1.5: input should be less than or "
        "equal to 1",
    ),
    (
        _set("llm-serving:observability/payloadSampling.retentionDays", 45),
        "llm-serving:observability.payloadSampling.retentionDays: 45 is more than zone 'ca' "
        "allows for captured payloads (30 days, policies/data/pii_patterns.yaml)",
    ),
    (
        _set("llm-serving:gpuPools/0.instanceType", "g4dn.xlarge"),
        "llm-serving:gpuPools[0].instanceType: 'g4dn.xlarge' is not a known GPU instance type",
    ),
    (
        _set("llm-serving:models/0.image", "vllm/vllm-openai:latest"),
        "llm-serving:models[0].image: 'vllm/vllm-openai:latest' must be pinned",
    ),
    (
        _set("llm-serving:models/0.source", "hf://meta-llama/Llama-3.1-8B-Instruct"),
        "llm-serving:models[0].source: 'hf://meta-llama/Llama-3.1-8B-Instruct' needs the internet",
    ),
    (
        _set("llm-serving:cluster/kubernetesVersion", "latest"),
        "llm-serving:cluster.kubernetesVersion: 'latest': string should match pattern",
    ),
    (
        _set("llm-serving:cluster/kubernetesVersion", "1.99"),
        "llm-serving:cluster.kubernetesVersion: '1.99' has no EKS support dates in "
        "policies/data/eks_versions.yaml (listed: 1.27, 1.28, 1.29, 1.30, 1.31, 1.32, 1.33, "
        "1.34, 1.35)",
    ),
    (
        _set("llm-serving:models/0.quantization", "bitsandbytes"),
        "llm-serving:models[0].quantization: 'bitsandbytes' is not allowed",
    ),
    (
        _set("llm-serving:gpuPools/0.capacityType", "reserved"),
        "llm-serving:gpuPools[0].capacityType: 'reserved' is not allowed",
    ),
    (_delete("llm-serving:tags/owner"), "llm-serving:tags: missing required tags: owner"),
    (
        _set("llm-serving:sla/availability", 100.5),
        "llm-serving:sla.availability: 100.5: input should be less than 100",
    ),
    (
        _set("llm-serving:network/cidr", "10.0.0.0/8"),
        "llm-serving:network.cidr: '10.0.0.0/8' must be a /16 to /20 block",
    ),
    (
        _set("llm-serving:gpuPools/0.diskGB", 100),
        "llm-serving:gpuPools[0].diskGB: is not a known key",
    ),
    (_set("llm-serving:replicaCount", 3), "llm-serving:replicaCount: is not a known key"),
    (
        _set("llm-serving:cluster/endpointPublicAccessCidrs", ["0.0.0.0/0"]),
        "0.0.0.0/0 would open the API endpoint to the internet",
    ),
    (_delete("llm-serving:gateway/hostname"), "llm-serving:gateway.hostname: is required"),
]


@pytest.mark.parametrize(("mutate", "expected"), INVALID, ids=[e for _, e in INVALID])
def test_invalid_config_gives_one_clear_line_naming_the_key(
    mutate: Callable[[dict[str, Any]], None], expected: str
) -> None:
    config = copy.deepcopy(_prod_ca())
    mutate(config)
    with pytest.raises(ConfigError) as caught:
        parse_spec("prod-ca", config, source="stacks/Pulumi.prod-ca.yaml")
    lines = str(caught.value).splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("stacks/Pulumi.prod-ca.yaml: ")
    assert expected in lines[0]
    assert "Traceback" not in lines[0]


def test_several_problems_are_all_reported() -> None:
    config = copy.deepcopy(_prod_ca())
    config["llm-serving:models"][0]["pool"] = "nope"
    config["llm-serving:gpuPools"][1]["minSize"] = 5
    with pytest.raises(ConfigError) as caught:
        parse_spec("prod-ca", config)
    keys = [p.key for p in caught.value.problems]
    assert keys == ["llm-serving:gpuPools[1].minSize", "llm-serving:models[0].pool"]


def test_unreadable_stack_files_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.bad.yaml").write_text("config: [unclosed\n")
    with pytest.raises(ConfigError, match=r"Pulumi\.bad\.yaml: line \d+: not valid YAML"):
        load_stack("bad", tmp_path)
    (tmp_path / "stacks" / "Pulumi.flat.yaml").write_text(yaml.safe_dump({"x": 1}))
    with pytest.raises(ConfigError, match="needs a top-level config: mapping"):
        load_stack("flat", tmp_path)
    with pytest.raises(ConfigError, match="no stack file"):
        load_stack("missing", tmp_path)


def test_object_config_as_json_text_is_accepted() -> None:
    # The Pulumi engine hands object-valued config to the program as JSON strings.
    import json

    config = {
        key: json.dumps(value) if isinstance(value, dict | list) else value
        for key, value in _prod_ca().items()
    }
    assert parse_spec("prod-ca", config).models[1].gpus_per_replica == 4


def test_replica_floor_comes_from_compliance_data() -> None:
    assert catalog.replica_floor(None) == 1
    assert catalog.replica_floor(99.9) == 2
    assert catalog.replica_floor(99.95) == 3
    assert catalog.replica_floor(99.99) == 3


def test_gpu_catalog_covers_the_required_families() -> None:
    families = {name.split(".")[0] for name in catalog.gpu_instances()}
    assert {"g5", "g6", "g6e", "p4d", "p5"} <= families
    assert catalog.gpu_instances()["p5.48xlarge"].gpus == 8
