"""Builders of Report / Finding / Rule fixtures for the report, baseline and audit tests.

The gate that produces real Reports lives elsewhere; these build the same model by hand so
the renderers can be tested on every shape a report takes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from servegate.findings import (
    Area,
    Enforcement,
    EngineInfo,
    Evidence,
    Finding,
    Report,
    Result,
    Rule,
    Severity,
    Waiver,
    WaiverIssue,
    WaiverProblem,
    verdict_of,
)

XSS = "<script>alert(1)</script>"
STACK_URN = "urn:pulumi:{stack}::llm-serving::pulumi:pulumi:Stack::llm-serving-{stack}"


def urn(stack: str, type_token: str, name: str) -> str:
    return f"urn:pulumi:{stack}::llm-serving::servegate:index:ServingStack${type_token}::{name}"


def rule(
    rule_id: str,
    area: Area,
    severity: Severity = Severity.HIGH,
    enforcement: Enforcement = Enforcement.MANDATORY,
    **overrides: Any,
) -> Rule:
    fields: dict[str, Any] = {
        "id": rule_id,
        "title": f"{rule_id} title",
        "description": f"Why {rule_id} matters.",
        "area": area,
        "severity": severity,
        "enforcement": enforcement,
        "package": area.value,
        "remediation": f"Fix {rule_id} by changing the stack config.",
        "controls": ("NIST SP 800-53 Rev. 5: CM-6 Configuration Settings",),
        "parameters": (),
        "test_cases": 2,
    }
    fields.update(overrides)
    return Rule(**fields)


RULES: tuple[Rule, ...] = (
    rule(
        "RES-001",
        Area.RESIDENCY,
        Severity.CRITICAL,
        title="Resources stay inside the stack's sovereignty zone",
        parameters=("zones.zones",),
        controls=("NIST SP 800-53 Rev. 5: SA-9(5) Processing, Storage, and Service Location",),
        test_cases=6,
    ),
    rule("SLA-001", Area.SLA, Severity.HIGH, parameters=("sla.tiers",)),
    rule("SLA-002", Area.SLA, Severity.MEDIUM),
    rule("AUD-001", Area.AUDIT, Severity.HIGH, parameters=("retention.min_log_retention_days",)),
    rule("SEC-001", Area.SECURITY, Severity.CRITICAL),
    rule("SEC-002", Area.SECURITY, Severity.LOW, Enforcement.ADVISORY),
    rule("CST-001", Area.COST, Severity.MEDIUM, Enforcement.ADVISORY, parameters=("prices",)),
    rule("CST-002", Area.COST, Severity.HIGH),
)
RULES_BY_ID = {r.id: r for r in RULES}


def finding(
    rule_id: str,
    resource_urn: str,
    *,
    path: str = "region",
    value: Any = "us-east-1",
    message: str | None = None,
    result: Result = Result.FAIL,
    waiver: Waiver | None = None,
    resource_type: str = "aws:s3/bucket:Bucket",
) -> Finding:
    r = RULES_BY_ID[rule_id]
    return Finding(
        rule_id=rule_id,
        area=r.area,
        severity=r.severity,
        enforcement=r.enforcement,
        resource_urn=resource_urn,
        resource_type=resource_type,
        message=message or f"{rule_id} violated by {resource_urn.rsplit('::', 1)[-1]}",
        evidence=Evidence(path=path, value=value),
        result=result,
        waiver=waiver,
    )


def waiver(rule_id: str, resource: str, expires: date = date(2027, 3, 31)) -> Waiver:
    return Waiver(
        rule_id=rule_id,
        resource=resource,
        justification=f"accepted risk for {rule_id}",
        approved_by="compliance@example.com",
        expires=expires,
    )


def report(
    findings: tuple[Finding, ...] | list[Finding],
    *,
    stack: str = "prod-ca",
    **overrides: Any,
) -> Report:
    fields: dict[str, Any] = {
        "stack": stack,
        "source": "offline",
        "verdict": verdict_of(tuple(findings)),
        "plan_sha256": "a" * 64,
        "policies_sha256": "b" * 64,
        "engine": EngineInfo(name="regorus", version="0.13.2"),
        "generated_at": "2026-11-22T10:00:00Z",
        "findings": tuple(findings),
        "rules": RULES,
        "resources_evaluated": 42,
    }
    fields.update(overrides)
    return Report(**fields)


def passing_report() -> Report:
    """A prod-ca-like report that passes: one advisory finding and one waived mandatory one."""
    stack = "prod-ca"
    gpu_pool = urn(stack, "aws:eks/nodeGroup:NodeGroup", "gpu-l4")
    log_group = urn(stack, "aws:cloudwatch/logGroup:LogGroup", "audit")
    return report(
        [
            finding(
                "CST-001",
                gpu_pool,
                path="scalingConfig.maxSize",
                value=8,
                message="worst-case GPU spend 31,200 USD/month exceeds 90% of the budget",
                resource_type="aws:eks/nodeGroup:NodeGroup",
            ),
            finding(
                "AUD-001",
                log_group,
                path="retentionInDays",
                value=180,
                message="log retention 180 days is below the 365 days regulated data needs",
                resource_type="aws:cloudwatch/logGroup:LogGroup",
                waiver=waiver("AUD-001", log_group),
            ),
        ],
        stack=stack,
    )


def failing_report() -> Report:
    """A failing report: mandatory findings in every area, a waiver, an expired-waiver problem,
    an undecided finding and a resource named like a script tag."""
    stack = "dev"
    bucket = urn(stack, "aws:s3/bucket:Bucket", "models")
    evil = urn(stack, "aws:s3/bucket:Bucket", XSS)
    deployment = urn(stack, "kubernetes:apps/v1:Deployment", "llama")
    cluster = urn(stack, "aws:eks/cluster:Cluster", "main")
    return report(
        [
            finding("RES-001", bucket, message="bucket in us-east-1 is outside zone ca"),
            finding(
                "RES-001",
                evil,
                message=f"bucket {XSS} in us-east-1 is outside zone ca",
            ),
            finding(
                "SLA-001",
                deployment,
                path="spec.replicas",
                value=1,
                resource_type="kubernetes:apps/v1:Deployment",
            ),
            finding(
                "SLA-002",
                deployment,
                path="spec.strategy.rollingUpdate.maxUnavailable",
                value=1,
                resource_type="kubernetes:apps/v1:Deployment",
                waiver=waiver("SLA-002", f"urn:pulumi:{stack}::llm-serving::*"),
            ),
            finding(
                "AUD-001",
                urn(stack, "aws:cloudwatch/logGroup:LogGroup", "audit"),
                path="retentionInDays",
                value=7,
                resource_type="aws:cloudwatch/logGroup:LogGroup",
            ),
            finding(
                "SEC-001",
                cluster,
                path="vpcConfig.publicAccessCidrs",
                value=["0.0.0.0/0"],
                resource_type="aws:eks/cluster:Cluster",
            ),
            finding(
                "SEC-001",
                cluster,
                path="encryptionConfig.provider.keyArn",
                value="04da6b54-80e4-46f7-96ec-b56ff0331ba9",
                result=Result.UNDECIDED,
                message="the KMS key is unknown until apply",
                resource_type="aws:eks/cluster:Cluster",
            ),
            finding(
                "SEC-002",
                cluster,
                path="version",
                value="1.29",
                resource_type="aws:eks/cluster:Cluster",
            ),
            finding(
                "CST-002",
                STACK_URN.format(stack=stack),
                path="declared.budget.monthlyUsd",
                value=1000,
                message="worst-case GPU spend 9,125 USD/month exceeds the 1,000 USD budget",
                resource_type="pulumi:pulumi:Stack",
            ),
        ],
        stack=stack,
        source="preview",
        waiver_problems=(
            WaiverProblem(
                number=2,
                reason="expired on 2026-01-31",
                kind=WaiverIssue.EXPIRED,
                rule_id="RES-001",
                resource=bucket,
            ),
        ),
    )


def many_findings_report(count: int) -> Report:
    """A failing report with ``count`` findings spread over every rule."""
    stack = "prod-eu"
    findings = [
        finding(
            RULES[i % len(RULES)].id,
            urn(stack, "aws:s3/bucket:Bucket", f"bucket-{i:05d}"),
            message=f"finding number {i} with a reasonably long explanation of what is wrong",
        )
        for i in range(count)
    ]
    return report(findings, stack=stack)
