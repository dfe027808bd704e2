"""End-to-end cases of the Pod Security Standards rules (SEC-030..SEC-039), images by digest in
sovereign stacks (RES-011) and probes and requests on servegate's workloads (SLA-020).

Each case breaks one control on prod-ca's first model server (or its Redis) in a preview plan;
the corrected plan is prod-ca's own. Variants cover the further controls of the rules that
implement several.
"""

from __future__ import annotations

from typing import Any

from tests.policy_cases_audit_security import PolicyCase, Target, _first, _target

DEPLOYMENT = "kubernetes:apps/v1:Deployment"

# Rules whose cases also fire another rule: an unpinned :latest image (SLA-010) in sovereign
# prod-ca has no digest either (RES-011).
OVERLAPS: dict[str, set[str]] = {
    "SLA-010": {"RES-011"},
}


def _model_server(doc: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    deployment = _first(doc, DEPLOYMENT, role="model-server")
    return deployment, deployment["inputs"]["spec"]["template"]["spec"]


def _vllm(spec: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in spec["containers"] if c["name"] == "vllm")


def _context(container: dict[str, Any]) -> dict[str, Any]:
    context: dict[str, Any] = container.setdefault("securityContext", {})
    return context


def sec_030(doc: dict[str, Any]) -> Target:
    deployment, spec = _model_server(doc)
    spec["hostPID"] = True
    return _target(deployment)


def sec_030_host_process(doc: dict[str, Any]) -> Target:
    deployment, spec = _model_server(doc)
    _context(_vllm(spec))["windowsOptions"] = {"hostProcess": True}
    return _target(deployment)


def sec_031(doc: dict[str, Any]) -> Target:
    """An init container, not the main one: every container kind is judged."""
    deployment, spec = _model_server(doc)
    _context(spec["initContainers"][0])["privileged"] = True
    return _target(deployment)


def sec_032(doc: dict[str, Any]) -> Target:
    deployment, spec = _model_server(doc)
    _context(_vllm(spec))["capabilities"] = {"drop": ["ALL"], "add": ["NET_RAW"]}
    return _target(deployment)


def sec_032_drop_all(doc: dict[str, Any]) -> Target:
    deployment, spec = _model_server(doc)
    _context(_vllm(spec))["capabilities"] = {"drop": ["NET_RAW"]}
    return _target(deployment)


def sec_032_restricted_add(doc: dict[str, Any]) -> Target:
    deployment, spec = _model_server(doc)
    _context(_vllm(spec))["capabilities"] = {"drop": ["ALL"], "add": ["CHOWN"]}
    return _target(deployment)


def sec_033(doc: dict[str, Any]) -> Target:
    deployment, spec = _model_server(doc)
    spec["volumes"].append({"name": "host", "hostPath": {"path": "/var/lib"}})
    return _target(deployment)


def sec_033_volume_types(doc: dict[str, Any]) -> Target:
    deployment, spec = _model_server(doc)
    spec["volumes"].append({"name": "share", "nfs": {"server": "10.40.0.9", "path": "/models"}})
    return _target(deployment)


def sec_034(doc: dict[str, Any]) -> Target:
    deployment, spec = _model_server(doc)
    _vllm(spec)["ports"][0]["hostPort"] = 8000
    return _target(deployment)


def sec_035(doc: dict[str, Any]) -> Target:
    deployment, spec = _model_server(doc)
    _context(_vllm(spec))["appArmorProfile"] = {"type": "Unconfined"}
    return _target(deployment)


def sec_035_annotation(doc: dict[str, Any]) -> Target:
    deployment, _ = _model_server(doc)
    metadata = deployment["inputs"]["spec"]["template"].setdefault("metadata", {})
    annotations = metadata.setdefault("annotations", {})
    annotations["container.apparmor.security.beta.kubernetes.io/vllm"] = "unconfined"
    return _target(deployment)


def sec_035_selinux(doc: dict[str, Any]) -> Target:
    deployment, spec = _model_server(doc)
    spec["securityContext"]["seLinuxOptions"] = {"type": "spc_t"}
    return _target(deployment)


def sec_036(doc: dict[str, Any]) -> Target:
    deployment, spec = _model_server(doc)
    _context(_vllm(spec))["procMount"] = "Unmasked"
    return _target(deployment)


def sec_036_sysctls(doc: dict[str, Any]) -> Target:
    deployment, spec = _model_server(doc)
    spec["securityContext"]["sysctls"] = [{"name": "kernel.msgmax", "value": "65536"}]
    return _target(deployment)


def sec_037(doc: dict[str, Any]) -> Target:
    deployment, spec = _model_server(doc)
    _context(_vllm(spec))["seccompProfile"] = {"type": "Unconfined"}
    return _target(deployment)


def sec_037_restricted(doc: dict[str, Any]) -> Target:
    deployment, spec = _model_server(doc)
    del spec["securityContext"]["seccompProfile"]
    return _target(deployment)


def sec_038(doc: dict[str, Any]) -> Target:
    deployment, spec = _model_server(doc)
    del _context(_vllm(spec))["allowPrivilegeEscalation"]
    return _target(deployment)


def sec_038_non_root(doc: dict[str, Any]) -> Target:
    deployment, spec = _model_server(doc)
    _context(_vllm(spec))["runAsNonRoot"] = False
    return _target(deployment)


def sec_038_uid(doc: dict[str, Any]) -> Target:
    deployment, spec = _model_server(doc)
    spec["securityContext"]["runAsUser"] = 0
    return _target(deployment)


def sec_039(doc: dict[str, Any]) -> Target:
    deployment, spec = _model_server(doc)
    spec["automountServiceAccountToken"] = True
    return _target(deployment)


def res_011(doc: dict[str, Any]) -> Target:
    """A tag-only vLLM image in sovereign prod-ca."""
    deployment, spec = _model_server(doc)
    container = _vllm(spec)
    container["image"] = container["image"].split("@", 1)[0]
    return _target(deployment)


def _redis(doc: dict[str, Any]) -> dict[str, Any]:
    for step in doc["steps"]:
        state = step.get("newState") or {}
        labels = state.get("inputs", {}).get("metadata", {}).get("labels", {})
        if (
            state.get("type") == DEPLOYMENT
            and labels.get("app.kubernetes.io/component") == "ratelimit-redis"
        ):
            return state
    raise LookupError("the plan has no rate-limit Redis Deployment")


def sla_020(doc: dict[str, Any]) -> Target:
    redis = _redis(doc)
    container = redis["inputs"]["spec"]["template"]["spec"]["containers"][0]
    del container["resources"]["requests"]["cpu"]
    return _target(redis)


def sla_020_probes(doc: dict[str, Any]) -> Target:
    redis = _redis(doc)
    del redis["inputs"]["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
    return _target(redis)


def hardened_pod_undone(doc: dict[str, Any]) -> Target:
    """The copy of prod-ca from the issue: SYS_ADMIN and NET_RAW, seccomp Unconfined, and an
    auto-mounted service-account token on the vLLM container."""
    deployment, spec = _model_server(doc)
    context = _context(_vllm(spec))
    context["capabilities"] = {"drop": ["ALL"], "add": ["SYS_ADMIN", "NET_RAW"]}
    context["seccompProfile"] = {"type": "Unconfined"}
    spec["automountServiceAccountToken"] = True
    return _target(deployment)


HARDENED_POD_UNDONE_RULES = {"SEC-032", "SEC-037", "SEC-039"}

POD_SECURITY_CASES: dict[str, PolicyCase] = {
    "SEC-030": sec_030,
    "SEC-031": sec_031,
    "SEC-032": sec_032,
    "SEC-033": sec_033,
    "SEC-034": sec_034,
    "SEC-035": sec_035,
    "SEC-036": sec_036,
    "SEC-037": sec_037,
    "SEC-038": sec_038,
    "SEC-039": sec_039,
    "RES-011": res_011,
    "SLA-020": sla_020,
}
POD_SECURITY_VARIANTS: dict[str, PolicyCase] = {
    "SEC-030 hostProcess": sec_030_host_process,
    "SEC-032 restricted drop ALL": sec_032_drop_all,
    "SEC-032 restricted add": sec_032_restricted_add,
    "SEC-033 restricted volume types": sec_033_volume_types,
    "SEC-035 AppArmor annotation": sec_035_annotation,
    "SEC-035 SELinux": sec_035_selinux,
    "SEC-036 sysctls": sec_036_sysctls,
    "SEC-037 restricted": sec_037_restricted,
    "SEC-038 runAsNonRoot": sec_038_non_root,
    "SEC-038 runAsUser": sec_038_uid,
    "SLA-020 probes": sla_020_probes,
}
