"""`servegate slo doc`: the SLA statement, rendered from the planned objects."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from typer.testing import CliRunner

from servegate.cli.main import app
from servegate.k8s_manifests import manifests
from servegate.slo_doc import build_statement, render_statement_markdown, sla_statement
from tests import stacks


def _alerts(stack: str) -> set[str]:
    return {
        rule["alert"]
        for m in manifests(stacks.inventory(stack))
        if m.kind == "PrometheusRule"
        for group in m.body["spec"]["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }


def test_prod_ca_statement_lists_objectives_slis_floors_and_every_alert() -> None:
    spec = stacks.spec("prod-ca")
    text = sla_statement(spec, manifests(stacks.inventory("prod-ca")))
    assert f"Availability: {spec.sla.availability:g} % of requests" in text  # type: ignore[union-attr]
    assert f"Replica floor per model: {spec.replica_floor}" in text
    for model in spec.models:
        assert f"## Model {model.name}" in text
    assert "`servegate:availability_error_ratio:rate5m` (availability)" in text
    assert "| ModelAvailabilityBurnRate | availability | 1h-5m | 0.0144 | page |" in text
    assert "PodDisruptionBudget vllm-llama-8b: minAvailable 1." in text
    assert "ScaledObject vllm-llama-8b: 2 to 5 replicas of vllm-llama-8b." in text
    for alert in _alerts("prod-ca"):
        assert f"[docs/runbooks/{alert}.md](docs/runbooks/{alert}.md)" in text


def test_a_stack_without_sla_says_so_and_pages_nobody() -> None:
    spec = stacks.spec("dev")
    text = sla_statement(spec, manifests(stacks.inventory("dev")))
    assert "No SLA is declared" in text
    assert "| page |" not in text


def test_cli_writes_the_statement(tmp_path: Path, project: Path) -> None:
    out = tmp_path / "sla.md"
    result = CliRunner().invoke(
        app, ["-C", str(project), "slo", "doc", "-s", "prod-ca", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("# SLA statement: prod-ca\n")


def test_cli_unknown_stack_is_one_line_exit_2(project: Path) -> None:
    result = CliRunner().invoke(app, ["-C", str(project), "slo", "doc", "-s", "nope"])
    assert result.exit_code == 2
    assert "no stack file" in result.output
    assert "Traceback" not in result.output


def test_statement_states_the_error_budget_policy_from_the_planned_rules() -> None:
    spec = stacks.spec("prod-ca")
    text = sla_statement(spec, manifests(stacks.inventory("prod-ca")))
    policy = text.split("## Error-budget policy", 1)[1].split("\n## ", 1)[0]
    assert "the last 30 days (`sla.windowDays`); budget 0.1 % of the requests" in policy
    assert "rule SLA-024 blocks" in policy and "--error-budget budget.json" in policy
    assert "(exit 2)" in policy
    assert "Not enforced by the gate" not in text
    for model in spec.models:
        section = text.split(f"## Model {model.name}", 1)[1].split("\n## ", 1)[0]
        budget = section.split("### Error budget", 1)[1]
        assert "`servegate:availability_error_budget:remaining_ratio` over 30d:" in budget
        # The planned rule's own PromQL, this model's, against its 0.1 % budget.
        assert (
            f'1 - servegate:availability_error_ratio:rate30d{{model="{model.name}", '
            'slo="availability"} / 0.001' in budget
        )
    assert "14.4x | 2.0% of a 30-day budget" in text


def test_prod_ca_statement_states_the_analysis_and_the_rollback_rule() -> None:
    spec = stacks.spec("prod-ca")
    text = sla_statement(spec, manifests(stacks.inventory("prod-ca")))
    llama = text[text.index("## Model llama-8b") : text.index("## Model mixtral-8x7b")]
    assert "rolls out under Argo Rollouts (Rollout vllm-llama-8b" in llama
    assert "steps of 5 → 25 → 50 % of the model's replicas" in llama
    assert "Rollback is automatic" in llama
    assert "never promotes" in llama
    # Each metric's bound as the rendered AnalysisTemplate states it.
    assert "| error-ratio | `len(result) > 0 && !isNaN(result[0]) && result[0] <= 0.001` |" in llama
    assert (
        "| ttft-slow-ratio | `len(result) > 0 && !isNaN(result[0]) && result[0] <= 0.05` |" in llama
    )
    assert 'envoy_response_code=~"5..\\|429"' in llama
    mixtral = text[text.index("## Model mixtral-8x7b") :]
    assert "No canary is declared" in mixtral


def test_prod_ca_statement_states_what_each_track_measures() -> None:
    spec = stacks.spec("prod-ca")
    text = sla_statement(spec, manifests(stacks.inventory("prod-ca")))
    llama = text[text.index("## Model llama-8b") : text.index("## Model mixtral-8x7b")]
    guarded = "`len(result) > 0 && !isNaN(result[0]) && result[0] <= 0.05`"
    for metric in ("canary-ttft-slow-ratio", "canary-e2e-slow-ratio"):
        assert f"| {metric} | {guarded} |" in llama
    budget = "`len(result) > 0 && !isNaN(result[0]) && result[0] <= 0.001`"
    assert f"| canary-error-ratio | {budget} |" in llama
    assert 'rollouts_pod_template_hash="{{args.canary-pod-template-hash}}"' in llama
    assert (
        'http_requests_total{rollouts_pod_template_hash="{{args.canary-pod-template-hash}}"'
        in llama
    )
    assert "counts in the whole model's error ratio only" in llama


def test_the_markdown_is_rendered_from_the_statement_data() -> None:
    spec = stacks.spec("prod-ca")
    statement = build_statement(spec, manifests(stacks.inventory("prod-ca")))
    # Change the data, not the objects: the text follows it.
    renamed = replace(statement, stack="renamed", replica_floor=7)
    text = render_statement_markdown(renamed)
    assert text.startswith("# SLA statement: renamed\n")
    assert "Replica floor per model: 7 " in text
