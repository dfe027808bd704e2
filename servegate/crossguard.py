"""The CrossGuard policy pack: the same Rego, through the same engine, inside the Pulumi engine.

``pulumi preview|up --policy-pack policies/pack`` starts ``policies/pack/__main__.py``, which
calls :func:`serve_pack`. Pulumi's engine then calls the pack once per resource before it
is created or updated (``Analyze``: the ``resource``-scope rules) and once for the whole
stack (``AnalyzeStack``: the ``stack``-scope rules). Every rule of the bundle is one policy
named after its id (``res-001``), mandatory or advisory as its metadata says.

Each call is turned into the normalized inventory (source ``crossguard``) and the whole
bundle is evaluated once for it: the N policies of one resource share one engine call.
The pack fails closed: when it cannot judge (engine failure, bad stack file) the call
fails and Pulumi stops; an undecided finding is reported at its rule's enforcement level.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyPack,
    PolicyProviderResource,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy import proxy as policy_proxy
from pulumi_policy.deserialize import serialize_properties

from components import catalog
from components.config import PROJECT, ConfigError, load_stack, read_stack_config, stack_file
from servegate.engines import DEFAULT_ENGINE, get_engine
from servegate.engines.base import Engine
from servegate.errors import GateError
from servegate.findings import Enforcement, Finding, Result, Rule
from servegate.gate import evaluate
from servegate.gate_env import ENGINE_ENV, PROJECT_DIR_ENV, WAIVERS_ENV
from servegate.plan import urns
from servegate.plan.inventory import build_inventory
from servegate.plan.providers import is_provider
from servegate.plan.raw import RawResource
from servegate.plan.unknowns import UNKNOWN
from servegate.policy.bundle import PolicyBundle, load_bundle
from servegate.waivers import DEFAULT_WAIVERS_PATH, WaiverSet, load_waivers

PACK_NAME = "servegate"
PACK_DESCRIPTION = "servegate residency, SLA, audit, security and cost rules (policies/**/*.rego)"
SOURCE = "crossguard"
# Set by the Pulumi CLI for the policy pack process (constructEnv in analyzer_plugin.go).
STACK_ENV = "PULUMI_STACK"
PROJECT_ENV = "PULUMI_PROJECT"

# The analyzer protocol does not say which step a resource is in. Everything it passes is
# in the future state, and "create" is the strictest reading a rule can give that.
_OP = "create"
# Every unknown sentinel the policy SDK knows; the inventory knows the string one only.
_UNKNOWN_SENTINELS = frozenset(
    {
        policy_proxy.UNKNOWN_BOOLEAN_VALUE,
        policy_proxy.UNKNOWN_NUMBER_VALUE,
        policy_proxy.UNKNOWN_STRING_VALUE,
        policy_proxy.UNKNOWN_ARRAY_VALUE,
        policy_proxy.UNKNOWN_ASSET_VALUE,
        policy_proxy.UNKNOWN_ARCHIVE_VALUE,
        policy_proxy.UNKNOWN_OBJECT_VALUE,
    }
)
# Findings of the last few analyzed resources; the engine analyzes with 4 worker threads.
_CACHE_SIZE = 64

_SEVERITIES = {severity.value: severity for severity in Severity}


def policy_name(rule: Rule) -> str:
    """The CrossGuard policy name of a rule: its id lower-cased (``RES-001`` -> ``res-001``)."""
    return rule.id.lower()


def project_dir_for(pack_dir: Path, environ: Mapping[str, str] = os.environ) -> Path:
    """The servegate project the pack judges: ``$SERVEGATE_PROJECT_DIR``, else ``pack/../..``."""
    configured = environ.get(PROJECT_DIR_ENV)
    return Path(configured) if configured else pack_dir.resolve().parent.parent


@dataclass(frozen=True)
class StackFacts:
    """What a stack declares about itself, read from its ``stacks/Pulumi.<stack>.yaml``."""

    name: str
    project: str
    declared: dict[str, Any]
    region: str
    config: dict[str, Any]
    waivers: WaiverSet


class PackEvaluator:
    """Turns analyzer calls into inventories and evaluates the bundle once per distinct call.

    Findings are cached by what was analyzed (URN and a digest of the properties), so the
    policies of one resource share one engine call and a changed resource is judged anew.
    Evaluation is serialized: the embedded engines are not documented as thread-safe.
    """

    def __init__(
        self,
        bundle: PolicyBundle,
        engine: Engine,
        project_dir: Path,
        environ: Mapping[str, str] = os.environ,
    ) -> None:
        self.bundle = bundle
        self.engine = engine
        self.project_dir = project_dir
        self._environ = environ
        self._lock = threading.Lock()
        self._facts: dict[str, StackFacts] = {}
        self._cache: OrderedDict[str, dict[str, list[Finding]]] = OrderedDict()

    def resource_findings(self, args: ResourceValidationArgs) -> dict[str, list[Finding]]:
        """Unwaived findings on the analyzed resource, by rule id.

        Its provider is part of the inventory (region, default tags) but is judged in its
        own ``Analyze`` call, so findings on it are left out here.
        """
        resources = _resource_and_provider(args)
        others = {resource.urn for resource in resources if resource.urn != args.urn}
        return {
            rule_id: [finding for finding in findings if finding.resource_urn not in others]
            for rule_id, findings in self._judge(args.urn, resources).items()
        }

    def stack_findings(self, args: StackValidationArgs) -> dict[str, list[Finding]]:
        """Unwaived findings over the whole stack, by rule id."""
        resources = _stack_resources(args.resources)
        return self._judge(resources[0].urn if resources else None, resources)

    def stack_urn(self, any_urn: str | None) -> str:
        """The root stack URN of the analyzed stack."""
        facts = self._stack_facts(any_urn)
        return urns.stack_urn(facts.name, facts.project)

    def _judge(self, subject: str | None, resources: list[RawResource]) -> dict[str, list[Finding]]:
        key = _digest(resources)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
            try:
                facts = self._stack_facts(subject)
                inventory = build_inventory(
                    resources,
                    stack=facts.name,
                    project=facts.project,
                    source=SOURCE,
                    declared=facts.declared,
                    stack_region=facts.region,
                    config=facts.config,
                )
                findings = evaluate(inventory, bundle=self.bundle, engine=self.engine)
            except (GateError, ConfigError) as exc:
                # Failing the call makes Pulumi stop the operation: the pack fails closed.
                reason = str(exc).replace("\n", "; ")
                what = subject or "the stack"
                raise GateError(f"servegate policy pack cannot judge {what}: {reason}") from None
            grouped: dict[str, list[Finding]] = {}
            for finding in facts.waivers.apply(findings):
                if not finding.waived:
                    grouped.setdefault(finding.rule_id, []).append(finding)
            self._cache[key] = grouped
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
            return grouped

    def _stack_facts(self, urn: str | None) -> StackFacts:
        name = self._environ.get(STACK_ENV) or (urns.stack_of(urn) if urn else "")
        if not name:
            raise GateError(
                f"no stack to judge: ${STACK_ENV} is not set and no resource was passed"
            )
        facts = self._facts.get(name)
        if facts is None:
            spec = load_stack(name, self.project_dir)
            waivers_path = self._environ.get(WAIVERS_ENV)
            waivers = load_waivers(
                Path(waivers_path) if waivers_path else self.project_dir / DEFAULT_WAIVERS_PATH,
                today=datetime.now(UTC).date(),
                rules={rule.id: rule for rule in self.bundle.rules},
                required=bool(waivers_path),
            )
            facts = StackFacts(
                name=name,
                project=self._environ.get(PROJECT_ENV)
                or (urns.project_of(urn) if urn else PROJECT),
                declared=spec.declared(),
                region=spec.region,
                config=read_stack_config(stack_file(name, self.project_dir)),
                waivers=waivers,
            )
            self._facts[name] = facts
        return facts


def build_policies(evaluator: PackEvaluator) -> list[Policy]:
    """One policy per rule: resource-scope rules per resource, stack-scope rules per stack."""
    policies: list[Policy] = []
    for rule in evaluator.bundle.rules:
        options: dict[str, Any] = {
            "name": policy_name(rule),
            "description": rule.title,
            "enforcement_level": _enforcement_level(rule),
            "severity": _SEVERITIES[rule.severity.value],
            "display_name": f"{rule.id} {rule.title}",
            "tags": [rule.area.value],
            "remediation_steps": rule.remediation or None,
        }
        if rule.scope == "resource":
            policies.append(
                ResourceValidationPolicy(validate=_resource_validation(rule, evaluator), **options)
            )
        elif rule.scope == "stack":
            policies.append(
                StackValidationPolicy(validate=_stack_validation(rule, evaluator), **options)
            )
        else:
            raise GateError(
                f"rule {rule.id} (package {rule.package}) has scope {rule.scope!r}; "
                "allowed: resource, stack"
            )
    if not policies:
        raise GateError(f"{evaluator.bundle.root}: no rule has a METADATA block")
    return policies


def serve_pack(pack_dir: Path, environ: Mapping[str, str] = os.environ) -> None:
    """Load the bundle and the engine, then serve the pack until Pulumi stops it."""
    project_dir = project_dir_for(pack_dir, environ)
    # The opa engine finds its server in $OPA_URL, as the CLI's does.
    engine = get_engine(environ.get(ENGINE_ENV) or DEFAULT_ENGINE)
    bundle = load_bundle(catalog.policies_dir(project_dir))
    evaluator = PackEvaluator(bundle, engine, project_dir, environ)
    PolicyPack(PACK_NAME, policies=build_policies(evaluator), description=PACK_DESCRIPTION)


def violation_message(finding: Finding) -> str:
    """The diagnostic text of one finding.

    The evidence value is left out: the policy SDK hands the pack secret inputs in plain
    text, and a diagnostic is printed and stored by Pulumi.
    """
    where = f" (at {finding.evidence.path})" if finding.evidence.path else ""
    undecided = "undecided until apply: " if finding.result is Result.UNDECIDED else ""
    return f"[{finding.rule_id} {finding.severity.value}] {undecided}{finding.message}{where}"


def _enforcement_level(rule: Rule) -> EnforcementLevel:
    if rule.enforcement is Enforcement.MANDATORY:
        return EnforcementLevel.MANDATORY
    return EnforcementLevel.ADVISORY


def _resource_validation(
    rule: Rule, evaluator: PackEvaluator
) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for finding in evaluator.resource_findings(args).get(rule.id, []):
            report_violation(violation_message(finding), None)

    return validate


def _stack_validation(
    rule: Rule, evaluator: PackEvaluator
) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        findings = evaluator.stack_findings(args).get(rule.id, [])
        if not findings:
            return
        root = evaluator.stack_urn(args.resources[0].urn if args.resources else None)
        for finding in findings:
            # No URN attaches a diagnostic to the stack as a whole.
            urn = None if finding.resource_urn == root else finding.resource_urn
            report_violation(violation_message(finding), urn)

    return validate


def _resource_and_provider(args: ResourceValidationArgs) -> list[RawResource]:
    resources: list[RawResource] = []
    reference = None
    if args.provider is not None:
        resources.append(_provider_resource(args.provider))
        reference = _reference(args.provider.urn)
    resources.append(
        RawResource(
            urn=args.urn,
            type=args.resource_type,
            name=args.name,
            custom=args.provider is not None or is_provider(args.resource_type),
            op=_OP,
            inputs=_plain(args.props),
            parent=args.opts.parent or None,
            provider=reference,
        )
    )
    return resources


def _stack_resources(listed: Sequence[PolicyResource]) -> list[RawResource]:
    known = {resource.urn for resource in listed}
    providers: dict[str, RawResource] = {}
    resources: list[RawResource] = []
    for resource in listed:
        reference = None
        if resource.provider is not None:
            reference = _reference(resource.provider.urn)
            if resource.provider.urn not in known and resource.provider.urn not in providers:
                providers[resource.provider.urn] = _provider_resource(resource.provider)
        parent = resource.opts.parent or (resource.parent.urn if resource.parent else None)
        resources.append(
            RawResource(
                urn=resource.urn,
                type=resource.resource_type,
                name=resource.name,
                custom=resource.provider is not None or is_provider(resource.resource_type),
                op=_OP,
                inputs=_plain(resource.props),
                parent=parent or None,
                provider=reference,
                deps={
                    key: [dependency.urn for dependency in dependencies]
                    for key, dependencies in resource.property_dependencies.items()
                },
            )
        )
    return [*providers.values(), *resources]


def _provider_resource(provider: PolicyProviderResource) -> RawResource:
    return RawResource(
        urn=provider.urn,
        type=provider.resource_type,
        name=provider.name,
        custom=True,
        op=_OP,
        inputs=_plain(provider.props),
    )


def _reference(provider_urn: str) -> str:
    # A provider reference is "<urn>::<id>"; the analyzer is not told the provider's id.
    return f"{provider_urn}::{UNKNOWN}"


def _plain(props: Mapping[str, Any]) -> dict[str, Any]:
    """The SDK's property proxy as plain data, every unknown as the inventory's sentinel.

    The proxy raises UnknownValueError on reading an unknown, which the SDK would turn into
    an advisory "can't run policy" note; serializing reads past it, so no unknown escapes.
    """
    return dict(_known_or_sentinel(serialize_properties(props)))


def _known_or_sentinel(value: Any) -> Any:
    if isinstance(value, str):
        return UNKNOWN if value in _UNKNOWN_SENTINELS else value
    if isinstance(value, Mapping):
        return {key: _known_or_sentinel(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_known_or_sentinel(item) for item in value]
    return value


def _digest(resources: Iterable[RawResource]) -> str:
    document = [
        [r.urn, r.type, r.name, r.custom, r.parent, r.provider, r.deps, r.inputs] for r in resources
    ]
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
