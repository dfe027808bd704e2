"""In-program enforcement (issue 9, part 1b): the program judges what it declares.

Under the Pulumi SDK's mocks, as `pulumi up` would run it: a resource breaking a
resource-scope rule raises before it is registered, a stack-scope violation fails the run
(the preview included), a compliant stack registers everything, and with
`llm-serving:enforcement: off` everything is registered and every gate reports AUD-012.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
import yaml
from typer.testing import CliRunner

from components.config import StackSpec, parse_spec, read_stack_config, stack_file
from components.serving_stack import ServingStack, ServingStackArgs
from servegate import enforcement
from servegate.audit_log import verify
from servegate.cli.main import app
from servegate.gate_env import AUDIT_LOG_ENV, WAIVERS_ENV
from servegate.plan.offline import _RecordingMonitor, run_offline
from tests import stacks
from tests.components.conftest import RecordingMocks

STACK = "prod-ca"
# Outside the ca zone (policies/data/zones.yaml): RES-001 judges each resource's region.
OUTSIDE_ZONE = "us-east-1"
runner = CliRunner()


@pytest.fixture
def audit_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "audit.jsonl"
    monkeypatch.setenv(AUDIT_LOG_ENV, str(path))
    return path


def _spec(enforcement_setting: str = "on") -> StackSpec:
    config = read_stack_config(stack_file(STACK))
    return parse_spec(STACK, {**config, "llm-serving:enforcement": enforcement_setting})


def _mocks(preview: bool) -> RecordingMocks:
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project="llm-serving", stack=STACK, preview=preview)
    return mocks


def _own_provider(spec: StackSpec) -> aws.Provider:
    """An in-zone provider carrying the required tags, as a program's own resources would use."""
    return aws.Provider(
        "extra-aws",
        region=spec.region,
        default_tags=aws.ProviderDefaultTagsArgs(tags=dict(spec.tags)),
    )


def _stray_bucket(spec: StackSpec) -> None:
    """A bucket the program adds beside the stack, in a region outside the zone (RES-001)."""
    provider = _own_provider(spec)
    aws.s3.Bucket(
        "stray-bucket", region=OUTSIDE_ZONE, opts=pulumi.ResourceOptions(provider=provider)
    )


def _untracked_vpc(spec: StackSpec) -> None:
    """A VPC without a flow log: each resource passes, the stack breaks AUD-004."""
    provider = _own_provider(spec)
    aws.ec2.Vpc(
        "untracked-vpc", cidr_block="10.99.0.0/16", opts=pulumi.ResourceOptions(provider=provider)
    )


def _run(spec: StackSpec, extra: Callable[[StackSpec], None] | None = None) -> str | None:
    """The program: the serving stack, then what the test adds; the stack's verdict."""
    seen: dict[str, str | None] = {}

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        stack = ServingStack(STACK, ServingStackArgs(spec=spec))
        if extra is not None:
            extra(spec)
        verdict = stack.policy_verdict or pulumi.Output.from_input("not enforced")
        return verdict.apply(lambda value: seen.update(verdict=value))

    program()
    return seen.get("verdict")


def _names(mocks: RecordingMocks) -> set[tuple[str, str]]:
    return {(r.typ, r.name) for r in mocks.resources}


def _audit_lines(path: Path) -> list[dict[str, Any]]:
    assert verify(path).ok
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_violating_resource_raises_before_it_is_registered(audit_path: Path) -> None:
    mocks = _mocks(preview=False)
    with pytest.raises(enforcement.PolicyViolation) as raised:
        _run(_spec(), _stray_bucket)
    message = str(raised.value)
    assert "\n" not in message
    assert "RES-001" in message
    assert "aws:s3/bucket:Bucket::stray-bucket" in message
    assert "us-east-1" in message
    registered = _names(mocks)
    assert ("aws:s3/bucket:Bucket", "stray-bucket") not in registered
    # Its compliant provider and the stack's own resources were judged and registered.
    assert ("pulumi:providers:aws", "extra-aws") in registered
    assert "aws:eks/cluster:Cluster" in {type_token for type_token, _ in registered}
    (blocked,) = [line for line in _audit_lines(audit_path) if "blocked" in line]
    assert blocked["verdict"] == "fail"
    assert blocked["source"] == enforcement.SOURCE_UPDATE
    assert blocked["blocked"]["rule_ids"] == ["RES-001"]
    assert blocked["blocked"]["resource"].endswith("aws:s3/bucket:Bucket::stray-bucket")


def test_a_waived_resource_finding_lets_the_resource_register(
    audit_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    waivers = tmp_path / "waivers.yaml"
    bucket = f"urn:pulumi:{STACK}::llm-serving::aws:s3/bucket:Bucket::stray-bucket"
    # RES-001 blocks its registration; SEC-005 (no KMS encryption) would fail the stack.
    waived = [
        {
            "rule_id": rule_id,
            "resource": bucket,
            "justification": "test: the gate's waivers reach the program",
            "approved_by": "compliance@example.com",
            "expires": "2099-01-01",
        }
        for rule_id in ("RES-001", "SEC-005")
    ]
    waivers.write_text(yaml.safe_dump({"waivers": waived}))
    monkeypatch.setenv(WAIVERS_ENV, str(waivers))
    mocks = _mocks(preview=False)
    assert _run(_spec(), _stray_bucket) == "pass"
    assert ("aws:s3/bucket:Bucket", "stray-bucket") in _names(mocks)


def test_a_stack_rule_violation_fails_the_preview(audit_path: Path) -> None:
    _mocks(preview=True)
    with pytest.raises(enforcement.PolicyViolation) as raised:
        _run(_spec(), _untracked_vpc)
    message = str(raised.value)
    assert "\n" not in message
    assert "AUD-004" in message
    assert "aws:ec2/vpc:Vpc::untracked-vpc" in message
    (decision,) = [line for line in _audit_lines(audit_path) if "blocked" not in line]
    assert decision["source"] == enforcement.SOURCE_PREVIEW
    assert decision["verdict"] == "fail"


def test_a_compliant_stack_registers_everything_it_would_unenforced(audit_path: Path) -> None:
    unenforced = _mocks(preview=False)
    assert _run(_spec("off")) == "not enforced"
    enforced = _mocks(preview=False)
    assert _run(_spec("on")) == "pass"
    assert _names(enforced) == _names(unenforced)
    assert len(enforced.resources) == len(unenforced.resources) > 100
    (decision,) = _audit_lines(audit_path)
    assert (decision["verdict"], decision["exit_code"]) == ("pass", 0)
    assert decision["source"] == enforcement.SOURCE_UPDATE
    assert decision["stack"] == STACK


def test_enforcement_off_registers_what_it_would_have_blocked(audit_path: Path) -> None:
    mocks = _mocks(preview=False)
    assert _run(_spec("off"), _stray_bucket) == "not enforced"
    assert ("aws:s3/bucket:Bucket", "stray-bucket") in _names(mocks)
    assert not audit_path.exists()


def test_enforcement_off_is_reported_by_the_offline_gate(project: Path) -> None:
    path = project / "stacks" / f"Pulumi.{STACK}.yaml"
    document = yaml.safe_load(path.read_text())
    document["config"]["llm-serving:enforcement"] = "off"
    path.write_text(yaml.safe_dump(document))
    out = project / "out"
    result = runner.invoke(
        app,
        ["-q", "-C", str(project), "preview", "-s", STACK, "--format", "json", "--out", str(out)],
    )
    report = json.loads((out / "report.json").read_text())
    hits = [f for f in report["findings"] if f["rule_id"] == "AUD-012"]
    assert [f["resource_urn"] for f in hits] == [stacks.run(STACK).stack_urn], result.output
    assert hits[0]["enforcement"] == "mandatory"
    assert result.exit_code == 1


def test_the_offline_gate_does_not_enforce_in_the_program() -> None:
    spec = _spec()

    def program() -> None:
        ServingStack(STACK, ServingStackArgs(spec=spec))
        _stray_bucket(spec)

    config = read_stack_config(stack_file(STACK))
    run = run_offline(program, project="llm-serving", stack=STACK, config=config)
    # Recorded, not raised: the offline gate judges it afterwards, once.
    assert any(r.type == "aws:s3/bucket:Bucket" and r.name == "stray-bucket" for r in run.resources)


@pytest.fixture
def judged_and_sent(
    audit_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str], tuple[dict[Any, Any], dict[Any, Any]]]]:
    """For a stack: what the program judged and what the monitor received, by (type, name)."""

    def both(stack: str) -> tuple[dict[Any, Any], dict[Any, Any]]:
        judged: dict[tuple[str, str], Any] = {}
        original = enforcement.ProgramGate._judge_resources

        def recording(self: enforcement.ProgramGate, batch: Any) -> Any:
            judged.update({(raw.type, raw.name): raw for raw in batch})
            return original(self, batch)

        monkeypatch.setattr(enforcement.ProgramGate, "_judge_resources", recording)
        monitor = _RecordingMonitor(_Echo())
        pulumi.runtime.set_mocks(
            monitor.mocks, project="llm-serving", stack=stack, preview=False, monitor=monitor
        )
        spec = stacks.spec(stack)
        spec = spec.model_copy(update={"enforcement": "on"})

        @pulumi.runtime.test
        def program() -> None:
            ServingStack(stack, ServingStackArgs(spec=spec))

        # A stack that breaks a rule still compares what was judged before it stopped.
        with contextlib.suppress(enforcement.PolicyViolation):
            program()
        sent = {(r.type, r.name): r for r in monitor.recorded}
        return judged, sent

    yield both


class _Echo(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", RecordingMocks().new_resource(args)[1]

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


@pytest.mark.parametrize("stack", stacks.SHIPPED)
def test_the_program_judges_the_inputs_it_registers(
    stack: str, judged_and_sent: Callable[[str], tuple[dict[Any, Any], dict[Any, Any]]]
) -> None:
    judged, sent = judged_and_sent(stack)
    assert len(judged) > 100
    for key, raw in judged.items():
        if key not in sent:
            continue  # blocked before registration
        assert raw.inputs == sent[key].inputs, key
        assert raw.custom == sent[key].custom, key
        assert set(raw.deps) == set(sent[key].deps), key
        assert (raw.provider is None) == (sent[key].provider is None), key
