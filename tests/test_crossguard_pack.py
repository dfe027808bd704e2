"""The CrossGuard pack, driven the way the Pulumi engine drives it.

The pack process is started as ``pulumi-analyzer-policy-python`` starts it (``python -u -m
pulumi.policy <engine address> .`` in the pack folder, with the stack in ``PULUMI_STACK``);
the test reads the port it prints and speaks the Analyzer gRPC protocol to it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from servegate.crossguard import PackEvaluator, build_policies, policy_name
from servegate.engines.base import EngineError, Evaluation
from servegate.engines.subprocess_engine import SubprocessEngine
from servegate.errors import GateError
from servegate.findings import Enforcement
from servegate.policy.bundle import load_bundle

ROOT = Path(__file__).resolve().parents[1]
PACK_DIR = ROOT / "policies" / "pack"
STACK = "prod-ca"
PROJECT = "llm-serving"
START_TIMEOUT = 60.0
CALL_TIMEOUT = 30.0

PROVIDER_URN = f"urn:pulumi:{STACK}::{PROJECT}::pulumi:providers:aws::aws-{STACK}"
STACK_URN = f"urn:pulumi:{STACK}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{STACK}"
TAGS = {
    "owner": "ml-platform",
    "cost-center": "cc-4411",
    "data-classification": "regulated",
    "environment": STACK,
}


def urn(type_token: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{type_token}::{name}"


def struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(dict(values))
    return message


def aws_provider(region: str = "ca-central-1") -> analyzer_pb2.AnalyzerProviderResource:
    return analyzer_pb2.AnalyzerProviderResource(
        type="pulumi:providers:aws",
        urn=PROVIDER_URN,
        name=f"aws-{STACK}",
        # The engine passes a provider's object inputs JSON-encoded.
        properties=struct({"region": region, "defaultTags": '{"tags": {}}', "version": "7.0.0"}),
    )


def analyze_request(
    type_token: str, name: str, props: Mapping[str, Any]
) -> analyzer_pb2.AnalyzeRequest:
    return analyzer_pb2.AnalyzeRequest(
        type=type_token,
        urn=urn(type_token, name),
        name=name,
        properties=struct(props),
        options=analyzer_pb2.AnalyzerResourceOptions(parent=STACK_URN),
        provider=aws_provider(),
    )


def stack_resource(
    type_token: str,
    name: str,
    props: Mapping[str, Any],
    property_dependencies: Mapping[str, list[str]] | None = None,
) -> analyzer_pb2.AnalyzerResource:
    custom = not type_token.startswith("pulumi:")
    return analyzer_pb2.AnalyzerResource(
        type=type_token,
        urn=urn(type_token, name) if type_token != "pulumi:pulumi:Stack" else STACK_URN,
        name=name,
        properties=struct(props),
        options=analyzer_pb2.AnalyzerResourceOptions(
            parent="" if type_token == "pulumi:pulumi:Stack" else STACK_URN
        ),
        provider=aws_provider() if custom and type_token.startswith("aws:") else None,
        parent="" if type_token == "pulumi:pulumi:Stack" else STACK_URN,
        propertyDependencies={
            key: analyzer_pb2.AnalyzerPropertyDependencies(urns=targets)
            for key, targets in (property_dependencies or {}).items()
        },
    )


def pack_environment(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SERVEGATE_", "PULUMI_"))
    }
    # What the Pulumi CLI sets for a policy pack process (constructEnv, analyzer_plugin.go).
    env.update(PULUMI_PROJECT=PROJECT, PULUMI_DRY_RUN="true", **extra)
    return env


def start_pack(env: Mapping[str, str]) -> tuple[subprocess.Popen[bytes], grpc.Channel]:
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", "."],
        cwd=PACK_DIR,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode().strip()
    if not line.isdigit():
        process.kill()
        _, stderr = process.communicate(timeout=CALL_TIMEOUT)
        pytest.fail(f"the pack did not print its port: {line!r} {stderr.decode()[-2000:]}")
    channel = grpc.insecure_channel(f"127.0.0.1:{line}")
    grpc.channel_ready_future(channel).result(timeout=START_TIMEOUT)
    return process, channel


def stop_pack(process: subprocess.Popen[bytes], channel: grpc.Channel) -> None:
    channel.close()
    process.terminate()
    try:
        process.communicate(timeout=CALL_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate(timeout=CALL_TIMEOUT)


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    process, channel = start_pack(pack_environment(PULUMI_STACK=STACK))
    try:
        stub = analyzer_pb2_grpc.AnalyzerStub(channel)
        # The engine's first call after the handshake (NewPolicyAnalyzer).
        stub.ConfigureStack(
            analyzer_pb2.AnalyzerStackConfigureRequest(stack=STACK, project=PROJECT, dry_run=True),
            timeout=CALL_TIMEOUT,
        )
        yield stub
    finally:
        stop_pack(process, channel)


@pytest.fixture(scope="module")
def bundle() -> Any:
    return load_bundle(ROOT / "policies")


def diagnostics_of(response: analyzer_pb2.AnalyzeResponse) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for diagnostic in response.diagnostics:
        found.setdefault(diagnostic.policyName, []).append(diagnostic)
    return found


def compliant_key() -> dict[str, Any]:
    return {"enableKeyRotation": True, "description": "audit log key", "tags": TAGS}


# -- the pack's project file ------------------------------------------------------------------


def test_policy_project_runs_python_in_the_project_virtualenv() -> None:
    project = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert project["runtime"]["name"] == "python"
    assert project["version"]
    virtualenv = (PACK_DIR / project["runtime"]["options"]["virtualenv"]).resolve()
    assert virtualenv == ROOT / ".venv"


# -- the Analyzer protocol ----------------------------------------------------------------------


def test_analyzer_info_has_one_policy_per_rule(
    analyzer: analyzer_pb2_grpc.AnalyzerStub, bundle: Any
) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty(), timeout=CALL_TIMEOUT)
    assert info.name == "servegate"
    policies = {policy.name: policy for policy in info.policies}
    assert len(info.policies) == len(bundle.rules)
    assert set(policies) == {policy_name(rule) for rule in bundle.rules}
    for rule in bundle.rules:
        policy = policies[rule.id.lower()]
        expected = (
            analyzer_pb2.MANDATORY
            if rule.enforcement is Enforcement.MANDATORY
            else analyzer_pb2.ADVISORY
        )
        assert policy.enforcementLevel == expected, rule.id
        assert policy.description == rule.title
        assert policy.policy_type == (
            analyzer_pb2.POLICY_TYPE_RESOURCE
            if rule.scope == "resource"
            else analyzer_pb2.POLICY_TYPE_STACK
        ), rule.id
        assert analyzer_pb2.PolicySeverity.Name(policy.severity) == (
            f"POLICY_SEVERITY_{rule.severity.value.upper()}"
        )
    levels = {policy.enforcementLevel for policy in info.policies}
    assert analyzer_pb2.MANDATORY in levels


def test_compliant_resource_has_no_diagnostics(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    request = analyze_request("aws:kms/key:Key", "audit", compliant_key())
    response = analyzer.Analyze(request, timeout=CALL_TIMEOUT)
    assert list(response.diagnostics) == []


def test_resource_outside_the_zone_is_blocked(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    props = {"cidrBlock": "10.40.0.0/16", "tags": TAGS}
    inside = analyze_request("aws:ec2/vpc:Vpc", "main", props)
    assert list(analyzer.Analyze(inside, timeout=CALL_TIMEOUT).diagnostics) == []
    outside = analyze_request("aws:ec2/vpc:Vpc", "main", {**props, "region": "us-east-1"})
    found = diagnostics_of(analyzer.Analyze(outside, timeout=CALL_TIMEOUT))
    assert set(found) == {"res-001"}
    [diagnostic] = found["res-001"]
    assert diagnostic.enforcementLevel == analyzer_pb2.MANDATORY
    assert diagnostic.policyPackName == "servegate"
    assert "us-east-1" in diagnostic.message and "RES-001" in diagnostic.message


def test_unknown_region_is_reported_at_the_rules_level(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    # A region not known until apply on a sovereign stack: the pack must report it as the
    # mandatory rule it is, not let the SDK turn it into an advisory "can't run policy" note.
    props = {"cidrBlock": "10.40.0.0/16", "tags": TAGS, "region": UNKNOWN_STRING_VALUE}
    request = analyze_request("aws:ec2/vpc:Vpc", "main", props)
    found = diagnostics_of(analyzer.Analyze(request, timeout=CALL_TIMEOUT))
    assert set(found) == {"res-002"}
    [diagnostic] = found["res-002"]
    assert diagnostic.enforcementLevel == analyzer_pb2.MANDATORY
    assert "can't run policy" not in diagnostic.message


def test_stack_with_a_vpc_without_flow_log_is_blocked(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    vpc = stack_resource("aws:ec2/vpc:Vpc", "main", {"cidrBlock": "10.40.0.0/16", "tags": TAGS})
    root = stack_resource("pulumi:pulumi:Stack", f"{PROJECT}-{STACK}", {})
    response = analyzer.AnalyzeStack(
        analyzer_pb2.AnalyzeStackRequest(resources=[root, vpc]), timeout=CALL_TIMEOUT
    )
    found = diagnostics_of(response)
    assert "aud-004" in found
    [diagnostic] = found["aud-004"]
    assert diagnostic.urn == vpc.urn
    assert diagnostic.enforcementLevel == analyzer_pb2.MANDATORY


def test_stack_with_a_flow_logged_vpc_passes_that_rule(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    vpc = stack_resource("aws:ec2/vpc:Vpc", "main", {"cidrBlock": "10.40.0.0/16", "tags": TAGS})
    flow_log = stack_resource(
        "aws:ec2/flowLog:FlowLog",
        "main",
        {
            "vpcId": UNKNOWN_STRING_VALUE,
            "trafficType": "ALL",
            "logDestinationType": "cloud-watch-logs",
            "tags": TAGS,
        },
        property_dependencies={"vpcId": [vpc.urn]},
    )
    root = stack_resource("pulumi:pulumi:Stack", f"{PROJECT}-{STACK}", {})
    response = analyzer.AnalyzeStack(
        analyzer_pb2.AnalyzeStackRequest(resources=[root, vpc, flow_log]), timeout=CALL_TIMEOUT
    )
    assert "aud-004" not in diagnostics_of(response)


def test_pack_fails_closed_when_it_cannot_judge() -> None:
    # No PULUMI_STACK: the stack comes from the URN, and it has no stack file.
    process, channel = start_pack(pack_environment())
    try:
        stub = analyzer_pb2_grpc.AnalyzerStub(channel)
        request = analyze_request("aws:kms/key:Key", "audit", compliant_key())
        request.urn = "urn:pulumi:no-such-stack::llm-serving::aws:kms/key:Key::audit"
        with pytest.raises(grpc.RpcError) as raised:
            stub.Analyze(request, timeout=CALL_TIMEOUT)
        assert "no-such-stack" in str(raised.value.details())
    finally:
        stop_pack(process, channel)


def test_pack_that_cannot_start_says_why_in_one_line() -> None:
    process = subprocess.run(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", "."],
        cwd=PACK_DIR,
        env=pack_environment(PULUMI_STACK=STACK, SERVEGATE_ENGINE="rego-magic"),
        capture_output=True,
        timeout=START_TIMEOUT,
    )
    assert process.returncode != 0
    stderr = process.stderr.decode().strip()
    assert stderr.startswith("servegate policy pack: unknown engine 'rego-magic'")
    assert "regorus" in stderr and "Traceback" not in stderr
    assert process.stdout == b""


# -- the evaluator in process -------------------------------------------------------------------


class CountingEngine(SubprocessEngine):
    """The embedded regorus engine, counting its queries."""

    def __init__(self) -> None:
        super().__init__("regorus", "gordon-to-regorus", timeout_s=60.0)
        self.queries = 0

    def evaluate(
        self,
        modules: dict[str, str],
        data: dict[str, Any],
        input_doc: dict[str, Any],
        queries: list[str],
        *,
        coverage: bool = False,
    ) -> Evaluation:
        self.queries += 1
        return super().evaluate(modules, data, input_doc, queries, coverage=coverage)


class BrokenEngine(CountingEngine):
    def evaluate(
        self,
        modules: dict[str, str],
        data: dict[str, Any],
        input_doc: dict[str, Any],
        queries: list[str],
        *,
        coverage: bool = False,
    ) -> Evaluation:
        raise EngineError("regorus: built-in time.now_ns crashed")


@pytest.fixture
def counting_engine() -> Iterator[CountingEngine]:
    engine = CountingEngine()
    try:
        yield engine
    finally:
        engine.close()


def validation_args(region: str) -> ResourceValidationArgs:
    # What the SDK hands a policy: proxied properties that raise on reading an unknown.
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], STACK_URN)
    provider = PolicyProviderResource(
        "pulumi:providers:aws",
        unknown_checking_proxy({"region": "ca-central-1"}),
        PROVIDER_URN,
        f"aws-{STACK}",
    )
    return ResourceValidationArgs(
        "aws:ec2/vpc:Vpc",
        unknown_checking_proxy({"cidrBlock": "10.40.0.0/16", "tags": TAGS, "region": region}),
        urn("aws:ec2/vpc:Vpc", "main"),
        "main",
        opts,
        provider,
    )


def resource_policies(evaluator: PackEvaluator) -> list[ResourceValidationPolicy]:
    return [p for p in build_policies(evaluator) if isinstance(p, ResourceValidationPolicy)]


def test_all_policies_of_one_resource_share_one_engine_call(
    bundle: Any, counting_engine: CountingEngine
) -> None:
    engine = counting_engine
    evaluator = PackEvaluator(bundle, engine, ROOT, environ={"PULUMI_STACK": STACK})
    reported: list[str] = []
    policies = resource_policies(evaluator)
    assert len(policies) > 1
    args = validation_args("us-east-1")
    for policy in policies:
        policy.validate(args, lambda message, _urn: reported.append(message))
    assert engine.queries == 1
    assert any("RES-001" in message for message in reported)
    # A changed resource is judged again, not answered from the cache.
    for policy in policies:
        policy.validate(validation_args("ca-central-1"), lambda message, _urn: None)
    assert engine.queries == 2


def test_engine_failure_fails_the_call(bundle: Any) -> None:
    evaluator = PackEvaluator(bundle, BrokenEngine(), ROOT, environ={"PULUMI_STACK": STACK})
    policy = resource_policies(evaluator)[0]
    with pytest.raises(GateError, match="cannot judge .*time.now_ns crashed"):
        policy.validate(validation_args("ca-central-1"), lambda message, _urn: None)


def test_waived_findings_do_not_block(
    bundle: Any, counting_engine: CountingEngine, tmp_path: Path
) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        yaml.safe_dump(
            {
                "waivers": [
                    {
                        "rule_id": "RES-001",
                        "resource": urn("aws:ec2/vpc:Vpc", "main"),
                        "justification": "test: a VPC outside the zone is approved",
                        "approved_by": "compliance@example.com",
                        "expires": "2999-12-31",
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    environ = {"PULUMI_STACK": STACK, "SERVEGATE_WAIVERS": str(waivers)}
    evaluator = PackEvaluator(bundle, counting_engine, ROOT, environ=environ)
    reported: list[str] = []
    for policy in resource_policies(evaluator):
        policy.validate(
            validation_args("us-east-1"), lambda message, _urn: reported.append(message)
        )
    assert reported == []


def test_a_named_waivers_file_that_is_missing_fails_the_call(
    bundle: Any, counting_engine: CountingEngine, tmp_path: Path
) -> None:
    # As in the gate: only the default waivers file may be absent.
    environ = {"PULUMI_STACK": STACK, "SERVEGATE_WAIVERS": str(tmp_path / "absent.yaml")}
    evaluator = PackEvaluator(bundle, counting_engine, ROOT, environ=environ)
    policy = resource_policies(evaluator)[0]
    with pytest.raises(GateError, match=r"absent\.yaml: no such waivers file"):
        policy.validate(validation_args("ca-central-1"), lambda message, _urn: None)
