"""A small NetworkPolicy evaluator: would the policies let one connection through?

Semantics of networking.k8s.io/v1 as kubernetes.io documents them (Concepts > Services,
Load Balancing, and Networking > Network Policies; API reference NetworkPolicySpec,
NetworkPolicyPeer, NetworkPolicyPort, read 2026-12-01):

- A policy applies to the pods of its own namespace that its ``podSelector`` selects (an
  empty selector selects all of them).
- ``policyTypes`` says which directions it isolates; left out, it is ``Ingress``, plus
  ``Egress`` when the policy has egress rules.
- A pod no policy isolates in a direction allows everything in that direction. Once
  isolated, only what some rule of some policy selecting it allows gets through: policies
  are additive, there is no deny rule.
- A rule without ``from``/``to`` (or with an empty list) matches every peer; without
  ``ports`` every port. A peer with ``podSelector`` alone means pods of the policy's
  namespace, ``namespaceSelector`` alone every pod of the selected namespaces, both the
  selected pods of the selected namespaces; ``ipBlock`` matches addresses in ``cidr`` and
  outside every ``except`` block. A port matches by number (``endPort`` makes a range) or
  by name against the destination container's named ports; the protocol defaults to TCP.
- A connection goes through only if the source's egress and the destination's ingress
  both allow it. Addresses outside the cluster carry no policy of their own.

ipBlock against pod addresses is implementation-defined; the VPC CNI matches it on the
address, as this evaluator does. Traffic from a pod's own node (kubelet probes) is always
allowed and is not modelled.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class Pod:
    """A pod: where it runs, its labels, its address and its containers' named ports."""

    namespace: str
    labels: Mapping[str, str]
    ip: str
    named_ports: Mapping[str, tuple[int, str]] = field(default_factory=dict)
    namespace_labels: Mapping[str, str] = field(default_factory=dict)

    def all_namespace_labels(self) -> dict[str, str]:
        return {**self.namespace_labels, NAMESPACE_NAME_LABEL: self.namespace}


@dataclass(frozen=True)
class External:
    """An address outside the pod network (a node, the API server, S3, the internet)."""

    ip: str


Endpoint = Pod | External


def selects(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A LabelSelector against a label set: matchLabels AND every matchExpression."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression["key"], expression["operator"]
        values = set(expression.get("values") or [])
        if operator == "In" and not (key in labels and labels[key] in values):
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
        if operator not in {"In", "NotIn", "Exists", "DoesNotExist"}:
            raise ValueError(f"unknown label selector operator {operator!r}")
    return True


def _in_block(ip: str, block: Mapping[str, Any]) -> bool:
    address = ipaddress.ip_address(ip)
    if address not in ipaddress.ip_network(block["cidr"], strict=False):
        return False
    return not any(
        address in ipaddress.ip_network(excluded, strict=False)
        for excluded in block.get("except") or []
    )


def peer_matches(peer: Mapping[str, Any], policy_namespace: str, other: Endpoint) -> bool:
    """One NetworkPolicyPeer against the endpoint at the other end."""
    if "ipBlock" in peer:
        return _in_block(other.ip, peer["ipBlock"])
    if not isinstance(other, Pod):
        return False
    pod_selector = peer.get("podSelector")
    namespace_selector = peer.get("namespaceSelector")
    if namespace_selector is None:
        in_namespace = other.namespace == policy_namespace
    else:
        in_namespace = selects(namespace_selector, other.all_namespace_labels())
    if not in_namespace:
        return False
    return pod_selector is None or selects(pod_selector, other.labels)


def port_matches(rule_port: Mapping[str, Any], port: int, protocol: str, target: Endpoint) -> bool:
    """One NetworkPolicyPort against the destination port and protocol."""
    if rule_port.get("protocol", "TCP") != protocol:
        return False
    wanted = rule_port.get("port")
    if wanted is None:
        return True
    if isinstance(wanted, str) and not wanted.isdigit():
        named = target.named_ports.get(wanted) if isinstance(target, Pod) else None
        return named == (port, protocol)
    low = int(wanted)
    high = int(rule_port.get("endPort", low))
    return low <= port <= high


def _rule_matches(
    rule: Mapping[str, Any],
    peers_key: str,
    policy_namespace: str,
    other: Endpoint,
    port: int,
    protocol: str,
    destination: Endpoint,
) -> bool:
    peers = rule.get(peers_key) or []
    ports = rule.get("ports") or []
    peer_ok = not peers or any(peer_matches(p, policy_namespace, other) for p in peers)
    port_ok = not ports or any(port_matches(p, port, protocol, destination) for p in ports)
    return peer_ok and port_ok


def policy_types(spec: Mapping[str, Any]) -> set[str]:
    """The directions a policy isolates, with the API's defaults."""
    declared = spec.get("policyTypes")
    if declared:
        return set(declared)
    return {"Ingress", "Egress"} if spec.get("egress") else {"Ingress"}


@dataclass(frozen=True)
class Policy:
    namespace: str
    name: str
    spec: Mapping[str, Any]

    @classmethod
    def of(cls, manifest: Mapping[str, Any]) -> Policy:
        metadata = manifest["metadata"]
        return cls(namespace=metadata["namespace"], name=metadata["name"], spec=manifest["spec"])

    def applies_to(self, pod: Pod, direction: str) -> bool:
        return (
            pod.namespace == self.namespace
            and direction in policy_types(self.spec)
            and selects(self.spec.get("podSelector", {}), pod.labels)
        )


class Cluster:
    """The NetworkPolicies of a cluster, asked about one connection at a time."""

    def __init__(self, policies: Iterable[Policy]) -> None:
        self.policies = list(policies)

    def _direction_allows(
        self,
        pod: Pod,
        direction: str,
        other: Endpoint,
        port: int,
        protocol: str,
        destination: Endpoint,
    ) -> bool:
        applying = [p for p in self.policies if p.applies_to(pod, direction)]
        if not applying:
            return True
        rules_key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
        return any(
            _rule_matches(rule, peers_key, policy.namespace, other, port, protocol, destination)
            for policy in applying
            for rule in policy.spec.get(rules_key) or []
        )

    def allows(
        self, source: Endpoint, destination: Endpoint, port: int, protocol: str = "TCP"
    ) -> bool:
        """Would a connection from ``source`` to ``destination`` on ``port`` get through?"""
        egress_ok = not isinstance(source, Pod) or self._direction_allows(
            source, "Egress", destination, port, protocol, destination
        )
        ingress_ok = not isinstance(destination, Pod) or self._direction_allows(
            destination, "Ingress", source, port, protocol, destination
        )
        return egress_ok and ingress_ok
