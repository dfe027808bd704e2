"""Every reference between the objects a stack renders resolves to an object of that stack.

The API server accepts a route to a backend that does not exist, a ScaledObject for a
missing Deployment, a ServiceMonitor selecting nothing: each is schema-valid and silently
does nothing. These tests follow each reference the stacks make by name or selector.
"""

from __future__ import annotations

from typing import Any

import pytest

from servegate.k8s_manifests import Manifest, manifests
from tests import stacks

STACKS = stacks.SHIPPED
Key = tuple[str, str | None, str]  # kind, namespace, name


def index(objects: list[Manifest]) -> dict[Key, Manifest]:
    """Every object by kind, namespace and name, with the Secrets ExternalSecrets create."""
    known = {(m.kind, m.namespace, m.name): m for m in objects}
    for m in objects:
        if m.kind == "ExternalSecret":
            target = (m.body.get("spec") or {}).get("target", {}).get("name", m.name)
            known[("Secret", m.namespace, target)] = m
    return known


def _ref(kind: str, manifest: Manifest, ref: dict[str, Any]) -> Key:
    return (kind, ref.get("namespace", manifest.namespace), ref["name"])


def references(manifest: Manifest) -> list[Key]:
    """The objects ``manifest`` names (kind, namespace, name)."""
    spec = manifest.body.get("spec") or {}
    refs: list[Key] = []
    if manifest.kind == "AIGatewayRoute":
        refs += [_ref(r.get("kind", "Gateway"), manifest, r) for r in spec.get("parentRefs", [])]
        for rule in spec.get("rules", []):
            refs += [_ref("AIServiceBackend", manifest, r) for r in rule.get("backendRefs", [])]
    elif manifest.kind == "AIServiceBackend":
        refs.append(_ref(spec["backendRef"].get("kind", "Service"), manifest, spec["backendRef"]))
    elif manifest.kind == "GatewayClass" and "parametersRef" in spec:
        refs.append(_ref(spec["parametersRef"]["kind"], manifest, spec["parametersRef"]))
    elif manifest.kind == "Gateway":
        refs.append(("GatewayClass", None, spec["gatewayClassName"]))
    elif manifest.kind in ("ClientTrafficPolicy", "SecurityPolicy", "BackendTrafficPolicy"):
        refs += [_ref(r["kind"], manifest, r) for r in spec.get("targetRefs", [])]
        api_keys = spec.get("apiKeyAuth", {}).get("credentialRefs", [])
        refs += [_ref(r.get("kind", "Secret"), manifest, r) for r in api_keys]
    elif manifest.kind == "ExternalSecret":
        store = spec["secretStoreRef"]
        refs.append(_ref(store.get("kind", "SecretStore"), manifest, store))
    elif manifest.kind == "SecretStore":
        for provider in spec.get("provider", {}).values():
            account = provider.get("auth", {}).get("jwt", {}).get("serviceAccountRef")
            if account:
                refs.append(_ref("ServiceAccount", manifest, account))
    elif manifest.kind == "ScaledObject":
        target = spec["scaleTargetRef"]
        refs.append(_ref(target.get("kind", "Deployment"), manifest, target))
    elif manifest.kind == "Backend":
        for endpoint in spec.get("endpoints", []):
            host = endpoint.get("fqdn", {}).get("hostname", "")
            if host.endswith(".svc.cluster.local"):
                service, namespace = host.split(".")[:2]
                refs.append(("Service", namespace, service))
    return refs


def unresolved(stack: str) -> list[str]:
    objects = manifests(stacks.inventory(stack))
    known = index(objects)
    return [
        f"{m.kind} {m.namespace}/{m.name} names {kind} {namespace}/{name}, not in the stack"
        for m in objects
        for kind, namespace, name in references(m)
        if (kind, None if kind == "GatewayClass" else namespace, name) not in known
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_every_named_reference_resolves(stack: str) -> None:
    assert unresolved(stack) == []


@pytest.mark.parametrize("stack", STACKS)
def test_backends_reach_a_port_of_their_service(stack: str) -> None:
    known = index(manifests(stacks.inventory(stack)))
    problems = []
    for (kind, _, name), backend in known.items():
        if kind != "Backend":
            continue
        for endpoint in backend.body["spec"]["endpoints"]:
            fqdn = endpoint["fqdn"]
            if not fqdn["hostname"].endswith(".svc.cluster.local"):
                continue  # an external backend (tests/test_external_backends.py)
            service, namespace = fqdn["hostname"].split(".")[:2]
            target = known.get(("Service", namespace, service))
            ports = [p["port"] for p in target.body["spec"]["ports"]] if target else []
            if fqdn["port"] not in ports:
                problems.append(f"Backend {name}: port {fqdn['port']} not in {service} {ports}")
    assert problems == []


def _selects(selector: dict[str, str], labels: dict[str, str] | None) -> bool:
    return all((labels or {}).get(key) == value for key, value in selector.items())


@pytest.mark.parametrize("stack", STACKS)
def test_every_service_monitor_selects_a_service_with_its_port(stack: str) -> None:
    objects = manifests(stacks.inventory(stack))
    services = [m for m in objects if m.kind == "Service"]
    monitors = [m for m in objects if m.kind == "ServiceMonitor"]
    problems = []
    for monitor in monitors:
        spec = monitor.body["spec"]
        namespaces = spec.get("namespaceSelector", {}).get("matchNames", [monitor.namespace])
        selected = [
            s
            for s in services
            if s.namespace in namespaces
            and _selects(spec["selector"].get("matchLabels", {}), s.body["metadata"].get("labels"))
        ]
        ports = {p.get("name") for s in selected for p in s.body["spec"]["ports"]}
        for port in (endpoint.get("port") for endpoint in spec["endpoints"]):
            if port not in ports:
                problems.append(f"ServiceMonitor {monitor.name}: no selected Service has {port!r}")
    assert problems == []


def test_a_dangling_reference_is_reported() -> None:
    objects = manifests(stacks.inventory("prod-ca"))
    scaled = next(m for m in objects if m.kind == "ScaledObject")
    target = scaled.body["spec"]["scaleTargetRef"]
    # A Deployment by default; an analysed canary's autoscaler scales its Rollout.
    assert references(scaled) == [
        (target.get("kind", "Deployment"), scaled.namespace, target["name"])
    ]
    known = index(objects)
    assert references(scaled)[0] in known
    route = next(m for m in objects if m.kind == "AIGatewayRoute")
    broken = Manifest(
        urn=route.urn,
        body={
            **route.body,
            "spec": {**route.body["spec"], "rules": [{"backendRefs": [{"name": "gone"}]}]},
        },
    )
    missing = [r for r in references(broken) if r not in known]
    assert missing == [("AIServiceBackend", route.namespace, "gone")]
