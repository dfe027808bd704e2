"""SEC-041's TLS half end to end: each case undoes one part of the TLS the components set up
between Envoy Gateway's rate-limit service and its Redis (tests/test_gate_rules.py runs
them; the compliant prod-ca plan is the corrected plan)."""

from __future__ import annotations

import re
from typing import Any

from tests.policy_cases_audit_security import PolicyCase, Target, _target
from tests.policy_cases_secrets import DEPLOYMENT, _envoy_gateway_release


def _redis_container(doc: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    for step in doc["steps"]:
        state = step.get("newState") or {}
        if state.get("type") != DEPLOYMENT:
            continue
        (container, *_) = state["inputs"]["spec"]["template"]["spec"]["containers"]
        if "redis" in container["image"]:
            return state, container
    raise LookupError("the plan has no Redis Deployment; the case needs one")


def sec_041_no_tls_to_redis(doc: dict[str, Any]) -> Target:
    """Envoy Gateway's rate-limit service dials Redis in plaintext (redis.tls dropped)."""
    release = _envoy_gateway_release(doc)
    redis = release["inputs"]["values"]["config"]["envoyGateway"]["rateLimit"]["backend"]["redis"]
    assert redis.pop("tls"), "the compliant plan sets redis.tls"
    return _target(release)


def sec_041_skips_name_check(doc: dict[str, Any]) -> Target:
    """The rate-limit service accepts any certificate name for Redis."""
    release = _envoy_gateway_release(doc)
    kubernetes = release["inputs"]["values"]["config"]["envoyGateway"]["provider"]["kubernetes"]
    env = kubernetes["rateLimitDeployment"]["container"]["env"]
    env.append({"name": "REDIS_TLS_SKIP_HOSTNAME_VERIFICATION", "value": "true"})
    return _target(release)


def sec_041_plaintext_redis(doc: dict[str, Any]) -> Target:
    """The Redis server keeps its password but listens in plaintext (TLS flags gone)."""
    state, container = _redis_container(doc)
    (script,) = container["args"]
    plain = re.sub(r" --(port|tls-port|tls-[a-z-]+-file|tls-auth-clients) \S+", "", script)
    assert "--requirepass" in plain and "--tls" not in plain and "--port" not in plain
    container["args"] = [plain]
    return _target(state)


REDIS_TLS_VARIANTS: dict[str, PolicyCase] = {
    "SEC-041 no tls to redis": sec_041_no_tls_to_redis,
    "SEC-041 skips name check": sec_041_skips_name_check,
    "SEC-041 plaintext redis": sec_041_plaintext_redis,
}
