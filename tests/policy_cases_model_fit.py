"""Plan mutations that make the model-to-GPU fit rule (SLA-014) fire, and nothing else.

As in the other case files: each case changes a ``pulumi preview --json`` document of the
compliant prod-ca stack in place and returns where the rule must fire.
"""

from __future__ import annotations

from tests.policy_cases_residency_sla_cost import (
    DEPLOYMENT,
    Doc,
    PolicyCase,
    Target,
    _find,
    _model_server,
    _target,
    _vllm,
)


def sla_014(doc: Doc) -> Target:
    # Llama-3.1-70B in bf16 (about 145 GiB of weights) on the llama-8b pool's one 24 GiB L4.
    server = _find(doc, DEPLOYMENT, _model_server("stable"))
    container = _vllm(server)
    container["args"] = [
        "--served-model-name=meta-llama/Llama-3.1-70B-Instruct"
        if arg.startswith("--served-model-name=")
        else arg
        for arg in container["args"]
    ]
    return _target(server)


MODEL_FIT_CASES: dict[str, PolicyCase] = {"SLA-014": sla_014}
