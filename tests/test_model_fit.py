"""Model-to-GPU fit: the catalog, the estimate, the config check (exit 2) and SLA-014 (exit 1).

The five cases of the issue run both ways: as stack configs through the CLI (a model that does
not fit is a config error naming the key, with the numbers) and as preview plans through
``servegate check`` (SLA-014 on the Deployment; the corrected plan passes). A parity test holds
the Python estimate and the Rego rule to the same verdicts and the same numbers.
"""

from __future__ import annotations

import copy
import json
import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml
from typer.testing import CliRunner

from components import catalog, model_fit
from components.config import ConfigError, load_stack, parse_spec, read_stack_config, stack_file
from servegate.cli.main import app
from servegate.engines import get_engine
from servegate.gate import evaluate
from servegate.plan import emit
from servegate.policy.bundle import load_bundle
from servegate.run import offline_run
from servegate.summary import model_fit_summaries

runner = CliRunner()
PREFIX = "llm-serving:"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LLAMA_8B = "meta-llama/Llama-3.1-8B-Instruct"
LLAMA_70B = "meta-llama/Llama-3.1-70B-Instruct"
LLAMA_405B = "meta-llama/Llama-3.1-405B-Instruct"
FAMILIES = ("meta-llama/Llama-3.", "mistralai/", "Qwen/Qwen2.5-", "Qwen/Qwen3-", "google/gemma-")


# -- the catalog -------------------------------------------------------------------------------


def test_catalog_lists_current_open_weight_models_with_their_sources() -> None:
    models = catalog.models()
    assert len(models) >= 20
    for family in (*FAMILIES, "microsoft/Phi-", "deepseek-ai/DeepSeek-R1-Distill"):
        assert any(name.startswith(family) for name in models), family
    for name in (LLAMA_8B, LLAMA_70B, LLAMA_405B, "mistralai/Mixtral-8x7B-Instruct-v0.1"):
        assert name in models
    for name, facts in models.items():
        assert facts.source, name
        assert facts.attention_heads is not None
        assert facts.attention_heads % facts.kv_heads == 0, name  # grouped-query attention
        assert facts.parameters > 10**8 and facts.max_context >= 4096, name


def test_the_policies_read_the_same_tables() -> None:
    params = load_bundle(catalog.PROJECT_ROOT / "policies").data["params"]
    assert set(params["models"]["models"]) == set(catalog.models())
    assert set(params["gpu_instances"]) == set(catalog.gpu_instances())
    assert not (catalog.COMPONENT_DATA / "gpu_instances.yaml").exists()


# -- the estimate ------------------------------------------------------------------------------


def _fit(model: str, instance_type: str, **kwargs: Any) -> model_fit.Fit:
    instance = catalog.gpu_instances()[instance_type]
    options: dict[str, Any] = {"max_model_len": 8192, "tensor_parallel": 1} | kwargs
    return model_fit.estimate(
        model,
        catalog.models()[model],
        gpu_memory_gib=instance.gpu_memory_gib,
        gpu_memory_utilization=0.9,
        gpu=instance.gpu,
        **options,
    )


def test_the_estimate_follows_its_stated_formula() -> None:
    constants = catalog.fit_constants()
    fit = _fit(LLAMA_8B, "g6.xlarge")
    gib = 1 << 30
    assert fit.weights_gib == pytest.approx(8030261248 * 2 * (1 + constants.weight_overhead) / gib)
    # 2 (K and V) x 32 layers x 8 KV heads x 128 x 2 bytes per token
    assert fit.kv_bytes_per_token == 2 * 32 * 8 * 128 * 2
    assert fit.kv_gib_per_sequence == pytest.approx(1.0)
    assert fit.runtime_gib == constants.runtime_margin_gib
    assert fit.budget_gib == pytest.approx(24 * 0.9)
    free = fit.budget_gib - fit.weights_gib - fit.runtime_gib
    assert fit.kv_capacity_tokens == math.floor(free * gib / fit.kv_bytes_per_token)
    assert fit.full_sequences == fit.kv_capacity_tokens // 8192
    assert fit.headroom_gib == pytest.approx(free - 1.0)


def test_quantization_shrinks_the_weights() -> None:
    bf16 = _fit(LLAMA_405B, "p5.48xlarge", tensor_parallel=8)
    fp8 = _fit(LLAMA_405B, "p5.48xlarge", tensor_parallel=8, quantization="fp8")
    awq = _fit(LLAMA_405B, "p5.48xlarge", tensor_parallel=8, quantization="awq")
    assert fp8.weights_gib == pytest.approx(bf16.weights_gib / 2)
    assert awq.weights_gib == pytest.approx(bf16.weights_gib / 4)
    assert bf16.problems and not fp8.problems


def test_tensor_parallel_over_more_gpus_than_kv_heads_replicates_them() -> None:
    # Qwen2.5-0.5B has 2 KV heads: on 4 GPUs each keeps one, 4 in all.
    one = _fit("Qwen/Qwen2.5-0.5B-Instruct", "g6.12xlarge")
    four = _fit("Qwen/Qwen2.5-0.5B-Instruct", "g6.12xlarge", tensor_parallel=4)
    assert four.kv_bytes_per_token == 2 * one.kv_bytes_per_token
    assert [p.field for p in four.problems] == [model_fit.FitField.TENSOR_PARALLEL]


def test_the_shipped_stacks_fit_with_room_for_a_full_sequence() -> None:
    stacks = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in _stack_files())
    for name in stacks:
        for row in model_fit_summaries(load_stack(name)):
            assert row.headroom_gib > 0, (name, row)
            assert row.full_sequences >= 1, (name, row)


def _stack_files() -> list[Path]:
    return sorted((catalog.PROJECT_ROOT / "stacks").glob("Pulumi.*.yaml"))


# -- the five cases of the issue ---------------------------------------------------------------


class FitCase(NamedTuple):
    model: str
    instance_type: str
    gpus: int
    max_model_len: int
    quantization: str | None
    fits: bool
    key: str  # the config key a failure names
    numbers: str  # what its message must say


CASES = {
    "70b-bf16-on-one-l4": FitCase(
        LLAMA_70B,
        "g6.xlarge",
        1,
        8192,
        None,
        False,
        "gpusPerReplica",
        "needs 149.1 GiB per replica (weights 144.6 GiB + KV cache 2.5 GiB for one 8192-token "
        "sequence + runtime 2.0 GiB) but 1 x 24.0 GiB L4 at 90 % gives 21.6 GiB",
    ),
    "405b-bf16-on-p4d": FitCase(
        LLAMA_405B,
        "p4d.24xlarge",
        8,
        8192,
        None,
        False,
        "gpusPerReplica",
        "needs 851.5 GiB per replica (weights 831.6 GiB + KV cache 3.9 GiB for one 8192-token "
        "sequence + runtime 16.0 GiB) but 8 x 40.0 GiB A100-40GB at 90 % gives 288.0 GiB",
    ),
    "8b-at-1m-tokens": FitCase(
        LLAMA_8B,
        "g6.xlarge",
        1,
        1_000_000,
        None,
        False,
        "maxModelLen",
        "maxModelLen 1000000 exceeds the 131072 tokens meta-llama/Llama-3.1-8B-Instruct supports",
    ),
    "8b-at-8192-on-one-l4": FitCase(LLAMA_8B, "g6.xlarge", 1, 8192, None, True, "", ""),
    "405b-fp8-on-p5": FitCase(LLAMA_405B, "p5.48xlarge", 8, 8192, "fp8", True, "", ""),
}


def _case_config(case: FitCase) -> dict[str, Any]:
    """prod-ca with one pool of the case's instance type serving the case's model."""
    config = read_stack_config(stack_file("prod-ca", catalog.PROJECT_ROOT))
    config = copy.deepcopy(config)
    config[f"{PREFIX}gpuPools"] = [
        {
            "name": "gpu",
            "instanceType": case.instance_type,
            "minSize": 2,
            "maxSize": 2,
            "diskGiB": 2000,
        }
    ]
    model: dict[str, Any] = {
        "name": "served",
        "servedModelName": case.model,
        "source": "s3://prod-ca-models/served",
        "pool": "gpu",
        "gpusPerReplica": case.gpus,
        "maxModelLen": case.max_model_len,
        "startupBudgetSeconds": 3600,
        "replicas": {"min": 2, "max": 2},
        # prod-ca is sovereign: its images are pulled by digest, so keep its pinned image.
        "image": config[f"{PREFIX}models"][0]["image"],
    }
    if case.quantization:
        model["quantization"] = case.quantization
    config[f"{PREFIX}models"] = [model]
    config[f"{PREFIX}budget"] = {"monthlyUsd": 2_000_000}
    # The case is the one model: no route or external backend naming prod-ca's own models.
    config.pop(f"{PREFIX}routes", None)
    config.pop(f"{PREFIX}externalBackends", None)
    return config


def _write_stack(project: Path, name: str, config: dict[str, Any]) -> None:
    path = project / "stacks" / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump({"config": config}), encoding="utf-8")


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if not c.fits])
def test_a_model_that_does_not_fit_is_a_config_error_with_the_numbers(
    project: Path, name: str
) -> None:
    case = CASES[name]
    _write_stack(project, name, _case_config(case))
    result = runner.invoke(app, ["-C", str(project), "inventory", "-s", name])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert f"{PREFIX}models[0].{case.key}: " in lines[0]
    assert case.numbers in lines[0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.fits])
def test_a_model_that_fits_passes_the_config_check(name: str) -> None:
    case = CASES[name]
    spec = parse_spec(name, _case_config(case))
    (row,) = model_fit_summaries(spec)
    assert row.headroom_gib > 0 and row.full_sequences >= 1


# -- the same cases as preview plans -----------------------------------------------------------


def _preview(project: Path, name: str, config: dict[str, Any]) -> dict[str, Any]:
    _write_stack(project, name, config)
    spec = load_stack(name, project)
    return emit.preview_document(offline_run(spec, project), config)


def _check(project: Path, name: str, plan: dict[str, Any]) -> tuple[int, dict[str, Any], str]:
    path = project / f"{name}.json"
    path.write_text(json.dumps(plan))
    out = project / "out" / name
    args = ["-q", "-C", str(project), "check", str(path), "-s", name]
    result = runner.invoke(app, [*args, "--format", "json", "--out", str(out)])
    report = json.loads((out / "report.json").read_text()) if result.exit_code in (0, 1) else {}
    return result.exit_code, report, result.output


def _states(plan: dict[str, Any], type_token: str) -> list[dict[str, Any]]:
    return [
        s["newState"]
        for s in plan["steps"]
        if s.get("newState") and s["newState"]["type"] == type_token
    ]


def _server(plan: dict[str, Any]) -> dict[str, Any]:
    (server,) = [
        s
        for s in _states(plan, DEPLOYMENT)
        if s["inputs"]["metadata"]["labels"].get("servegate.io/role") == "model-server"
    ]
    return server


def _set_flag(server: dict[str, Any], flag: str, value: str | None) -> None:
    container = server["inputs"]["spec"]["template"]["spec"]["containers"][0]
    args = [a for a in container["args"] if not a.startswith(f"{flag}=")]
    container["args"] = args + ([f"{flag}={value}"] if value is not None else [])


def _move_to(plan: dict[str, Any], instance_type: str) -> None:
    """What another program would write: the pool on other hardware, labelled accordingly."""
    gpu = catalog.gpu_instances()[instance_type].gpu
    (group,) = _states(plan, NODE_GROUP)[-1:]
    group["inputs"]["instanceTypes"] = [instance_type]
    group["inputs"]["labels"]["servegate.io/gpu"] = gpu
    _server(plan)["inputs"]["spec"]["template"]["spec"]["nodeSelector"]["servegate.io/gpu"] = gpu


Mutation = Callable[[dict[str, Any]], None]


def _405b_in_bf16_on_p4d(plan: dict[str, Any]) -> None:
    _set_flag(_server(plan), "--quantization", None)
    _move_to(plan, "p4d.24xlarge")


# Each violating plan: the corrected plan of a fitting case, changed as the case says.
VIOLATIONS: dict[str, tuple[str, Mutation]] = {
    "70b-bf16-on-one-l4": (
        "8b-at-8192-on-one-l4",
        lambda plan: _set_flag(_server(plan), "--served-model-name", LLAMA_70B),
    ),
    "8b-at-1m-tokens": (
        "8b-at-8192-on-one-l4",
        lambda plan: _set_flag(_server(plan), "--max-model-len", "1000000"),
    ),
    "405b-bf16-on-p4d": ("405b-fp8-on-p5", _405b_in_bf16_on_p4d),
}


@pytest.fixture(scope="module")
def corrected_plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("fit-plans")
    shutil.copytree(catalog.PROJECT_ROOT / "stacks", folder / "stacks")
    for name in ("policies", "__main__.py", "Pulumi.yaml"):
        (folder / name).symlink_to(catalog.PROJECT_ROOT / name)
    return {
        name: _preview(folder, name, _case_config(case))
        for name, case in CASES.items()
        if case.fits
    }


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.fits])
def test_the_corrected_plan_passes(
    project: Path, corrected_plans: dict[str, dict[str, Any]], name: str
) -> None:
    _write_stack(project, name, _case_config(CASES[name]))
    code, report, output = _check(project, name, corrected_plans[name])
    assert code == 0, output
    assert report["verdict"] == "pass"
    assert not [f for f in report["findings"] if f["rule_id"] == "SLA-014"]


@pytest.mark.parametrize("name", sorted(VIOLATIONS))
def test_a_plan_that_does_not_fit_fails_on_sla_014_at_the_deployment(
    project: Path, corrected_plans: dict[str, dict[str, Any]], name: str
) -> None:
    base, mutate = VIOLATIONS[name]
    _write_stack(project, base, _case_config(CASES[base]))
    plan = copy.deepcopy(corrected_plans[base])
    mutate(plan)
    code, report, output = _check(project, base, plan)
    assert code == 1, output
    blocking = [f for f in report["findings"] if f["enforcement"] == "mandatory"]
    assert {f["rule_id"] for f in blocking} == {"SLA-014"}, output
    (finding,) = blocking
    assert finding["resource_urn"] == _server(plan)["urn"]
    assert CASES[name].numbers in finding["message"]


# -- the Python estimate and the Rego rule agree -----------------------------------------------


class Parity(NamedTuple):
    model: str
    instance_type: str
    tensor_parallel: int
    max_model_len: int
    quantization: str | None
    utilization: float


PARITY = [
    *(
        Parity(c.model, c.instance_type, c.gpus, c.max_model_len, c.quantization, 0.9)
        for c in CASES.values()
    ),
    Parity("mistralai/Mixtral-8x7B-Instruct-v0.1", "g6e.12xlarge", 4, 16384, "awq", 0.9),
    Parity("mistralai/Mixtral-8x7B-Instruct-v0.1", "g6e.xlarge", 1, 32768, None, 0.95),
    Parity("Qwen/Qwen2.5-72B-Instruct-AWQ", "g6e.12xlarge", 4, 32768, None, 0.9),
    Parity("Qwen/Qwen2.5-72B-Instruct-AWQ", "g6e.xlarge", 1, 32768, None, 0.9),
    Parity("Qwen/Qwen2.5-7B-Instruct", "g6.12xlarge", 4, 32768, None, 0.9),
    Parity("Qwen/Qwen2.5-0.5B-Instruct", "g6.12xlarge", 4, 4096, None, 0.5),
    Parity("google/gemma-2-27b-it", "g6e.2xlarge", 1, 8192, None, 0.92),
    Parity("microsoft/Phi-3.5-mini-instruct", "g5.xlarge", 1, 131072, None, 0.9),
    Parity("Qwen/Qwen3-32B", "g6e.12xlarge", 2, 40960, "fp8", 0.9),
    Parity(LLAMA_8B, "g5.xlarge", 1, 65536, "gptq", 0.8),
]


def _parity_inventory(cases: list[Parity]) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []

    def add(type_token: str, name: str, props: dict[str, Any]) -> None:
        urn = f"urn:pulumi:parity::llm-serving::{type_token}::{name}"
        resources.append(
            {
                "urn": urn,
                "type": type_token,
                "name": name,
                "parent": None,
                "op": "create",
                "custom": True,
                "region": "ca-central-1",
                "provider": {},
                "props": props,
                "unknowns": [],
                "deps": {},
                "tags": {},
            }
        )

    for index, case in enumerate(cases):
        pool = f"pool-{index}"
        labels = {"servegate.io/pool": pool, "servegate.io/role": "gpu"}
        add(NODE_GROUP, pool, {"instanceTypes": [case.instance_type], "labels": labels})
        args = [
            f"--served-model-name={case.model}",
            f"--tensor-parallel-size={case.tensor_parallel}",
            f"--max-model-len={case.max_model_len}",
            f"--gpu-memory-utilization={case.utilization}",
        ]
        if case.quantization:
            args.append(f"--quantization={case.quantization}")
        container = {
            "name": "server",
            "image": "vllm/vllm-openai:v0.11.0",
            "args": args,
            "resources": {"limits": {"nvidia.com/gpu": str(case.tensor_parallel)}},
        }
        spec = {"nodeSelector": {"servegate.io/pool": pool}, "containers": [container]}
        add(DEPLOYMENT, f"server-{index}", {"spec": {"template": {"spec": spec}}})
    by_type: dict[str, list[int]] = {}
    for position, resource in enumerate(resources):
        by_type.setdefault(resource["type"], []).append(position)
    stack = {"name": "parity", "project": "llm-serving", "urn": "urn:pulumi:parity::x"}
    return {"stack": stack, "declared": {}, "resources": resources, "by_type": by_type}


@pytest.mark.parametrize("engine", ["regorus", "regopy"])
def test_the_python_estimate_and_sla_014_agree(engine: str) -> None:
    inventory = _parity_inventory(PARITY)
    bundle = load_bundle(catalog.PROJECT_ROOT / "policies")
    findings = evaluate(inventory, bundle=bundle, engine=get_engine(engine, timeout_s=600))
    by_server: dict[str, list[str]] = {}
    for finding in findings:
        if finding.rule_id == "SLA-014":
            by_server.setdefault(finding.resource_urn.rsplit("::", 1)[1], []).append(
                finding.message
            )
    verdicts = []
    for index, case in enumerate(PARITY):
        instance = catalog.gpu_instances()[case.instance_type]
        fit = model_fit.estimate(
            case.model,
            catalog.models()[case.model],
            quantization=case.quantization,
            max_model_len=case.max_model_len,
            tensor_parallel=case.tensor_parallel,
            gpu_memory_gib=instance.gpu_memory_gib,
            gpu_memory_utilization=case.utilization,
            gpu=instance.gpu,
        )
        rego = sorted(by_server.get(f"server-{index}", []))
        python = sorted(p.message for p in fit.problems)
        assert len(rego) == len(python), (case, rego, python)
        for rego_message, python_message in zip(rego, python, strict=True):
            assert python_message in rego_message, (case, rego_message)
        verdicts.append(not python)
    assert True in verdicts and False in verdicts


# -- part 7: tensorParallelSize and the air-gapped check ---------------------------------------


def test_gpus_per_replica_alone_sets_the_tensor_parallel_size(project: Path) -> None:
    config = _case_config(CASES["405b-fp8-on-p5"])
    config[f"{PREFIX}models"][0].pop("tensorParallelSize", None)
    _write_stack(project, "tp-default", config)
    result = runner.invoke(app, ["-C", str(project), "inventory", "-s", "tp-default"])
    assert result.exit_code == 0, result.output
    inventory = json.loads(result.output)
    (server,) = [
        inventory["resources"][i]
        for i in inventory["by_type"][DEPLOYMENT]
        if inventory["resources"][i]["props"]["metadata"]["labels"].get("servegate.io/role")
        == "model-server"
    ]
    args = server["props"]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--tensor-parallel-size=8" in args


def test_a_tensor_parallel_size_other_than_the_gpus_is_rejected(project: Path) -> None:
    config = _case_config(CASES["405b-fp8-on-p5"])
    config[f"{PREFIX}models"][0]["tensorParallelSize"] = 4
    _write_stack(project, "tp-mismatch", config)
    result = runner.invoke(app, ["-C", str(project), "inventory", "-s", "tp-mismatch"])
    assert result.exit_code == 2
    assert f"{PREFIX}models[0].tensorParallelSize: 4 must equal gpusPerReplica 8" in result.output


def test_an_air_gapped_hf_source_is_reported_once(project: Path) -> None:
    config = _case_config(CASES["8b-at-8192-on-one-l4"])
    config[f"{PREFIX}models"][0]["source"] = "hf://meta-llama/Llama-3.1-8B-Instruct"
    _write_stack(project, "hf-air-gapped", config)
    result = runner.invoke(app, ["-C", str(project), "inventory", "-s", "hf-air-gapped"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].endswith(
        f"{PREFIX}models[0].source: 'hf://meta-llama/Llama-3.1-8B-Instruct' needs the internet; "
        "air-gapped stacks load from s3:// or pvc://"
    )


def test_a_model_outside_the_catalog_must_declare_its_facts(project: Path) -> None:
    config = _case_config(CASES["8b-at-8192-on-one-l4"])
    config[f"{PREFIX}models"][0]["servedModelName"] = "acme/private-13b"
    _write_stack(project, "private-model", config)
    result = runner.invoke(app, ["-C", str(project), "inventory", "-s", "private-model"])
    assert result.exit_code == 2
    assert f"{PREFIX}models[0].parameters: 'acme/private-13b' is not in the model catalog" in (
        result.output
    )
    facts = {"parameters": 1_300_000_000, "layers": 24, "kvHeads": 8, "headDim": 128}
    config[f"{PREFIX}models"][0] |= facts | {"maxContext": 8192}
    spec = parse_spec("private-model", config)
    assert spec.declared()["models"] == {"acme/private-13b": facts | {"maxContext": 8192}}
    config[f"{PREFIX}models"][0]["maxModelLen"] = 16384
    with pytest.raises(ConfigError, match=r"models\[0\]\.maxModelLen: maxModelLen 16384"):
        parse_spec("private-model", config)


# -- the preview summary -----------------------------------------------------------------------


def test_the_preview_shows_weights_kv_capacity_and_headroom_per_model(project: Path) -> None:
    out = project / "reports"
    result = runner.invoke(
        app,
        ["-C", str(project), "preview", "-s", "prod-ca", "--format", "json", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    rows = {row["name"]: row for row in summary["model_fit"]}
    assert set(rows) == {m.name for m in load_stack("prod-ca").models}
    llama = rows["llama-8b"]
    expected = _fit(LLAMA_8B, "g6.xlarge")
    assert llama["weights_gib"] == round(expected.weights_gib, 1)
    assert llama["kv_capacity_tokens"] == expected.kv_capacity_tokens
    assert llama["full_sequences"] == expected.full_sequences
    assert llama["headroom_gib"] == round(expected.headroom_gib, 1)
    assert "Model fit per replica" in result.output
    line = next(
        line for line in result.output.splitlines() if "llama-8b" in line and "x L4" in line
    )
    assert f"{expected.kv_capacity_tokens:,}" in line
    assert f"{round(expected.weights_gib, 1):.1f}" in line
