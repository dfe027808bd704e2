"""Runbooks: the on-call engineer's first steps for every alert the stack defines.

One table, keyed by alert name, is the source of three things that must not drift apart: the
``runbook_url`` annotation each PrometheusRule alert carries (components/slo_rules.py), the
Markdown pages under ``docs/runbooks/`` (``python -m components.runbooks`` writes them, a test
checks they are current) and the runbook appendix of the HTML report. Queries use the alert's
labels as Grafana variables: ``$model`` is the alert's ``model`` label, ``$model_name`` the
served model name, ``$namespace`` and ``$pod`` the pod's. A test checks that every panel a
runbook names exists on its dashboard and that every metric it reads is exported by the pinned
exporters or recorded by the stack's own rules.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

RUNBOOK_DIR = Path(__file__).resolve().parent.parent / "docs" / "runbooks"
"""Where the generated pages live in the repository."""

DEFAULT_RUNBOOK_BASE = "docs/runbooks"
"""The ``runbook_url`` prefix when the stack declares no ``monitoring.runbookBaseUrl``: the
pages' path in the repository, which the HTML report's appendix also carries."""


@dataclass(frozen=True)
class Check:
    """One diagnostic step: what to look at and why."""

    why: str
    command: str
    kind: str  # "promql" or "shell"


@dataclass(frozen=True)
class Runbook:
    """What an alert means and what to do about it."""

    alert: str
    meaning: str
    dashboard: str  # dashboard uid (components/dashboards.py)
    panel: str  # panel title on that dashboard
    metrics: tuple[str, ...]  # exactly the series its PromQL checks read (a test holds it)
    checks: tuple[Check, Check, Check]
    mitigation: tuple[str, ...]
    escalate: str


def runbook_url(base: str, alert: str) -> str:
    """The ``runbook_url`` annotation of an alert."""
    return f"{base.rstrip('/')}/{alert}.md"


_PODS = Check(
    "Find the model's pods and their state (Pending, CrashLoopBackOff, not Ready).",
    "kubectl get pods -A -l servegate.io/model=$model -o wide",
    "shell",
)

_ROLLBACK = (
    "If a rollout or canary started shortly before the alert, roll it back: set the canary "
    "weight to 0 in the stack config (or `kubectl argo rollouts abort` where progressive "
    "delivery runs), then `servegate up -s STACK`."
)
_SHIFT = (
    "Shift traffic to the model's fallback backend, if the stack declares one, by raising its "
    "priority in the stack config and applying with `servegate up -s STACK`."
)
_SCALE = (
    "Add capacity: raise `models[].replicas.max` (and the GPU pool's `maxSize` if the pool is "
    "full) and apply with `servegate up -s STACK`; for immediate relief "
    "`kubectl scale deployment -n $namespace <deployment> --replicas=N` until KEDA takes over."
)
_ESCALATE_SLO = (
    "Escalate to the model owner and the platform lead when the fast-burn alert fires for more "
    "than 30 minutes after mitigation, or at once when more than 10 % of the monthly error "
    "budget is gone."
)

RUNBOOKS: dict[str, Runbook] = {
    book.alert: book
    for book in (
        Runbook(
            alert="GatewayAvailabilityBurnRate",
            meaning=(
                "The gateway as a whole answers with 5xx or rate-limit rejections fast enough to "
                "spend the availability error budget before the SLO window ends. Every model "
                "behind it may be affected."
            ),
            dashboard="servegate-on-call",
            panel="Availability burn rate (1 = on budget)",
            metrics=("envoy_cluster_upstream_rq", "envoy_server_live"),
            checks=(
                Check(
                    "Which response codes dominate, per route cluster.",
                    "sum by (envoy_cluster_name, envoy_response_code) "
                    "(rate(envoy_cluster_upstream_rq[5m]))",
                    "promql",
                ),
                Check(
                    "Whether every gateway proxy is live.",
                    "sum(envoy_server_live)",
                    "promql",
                ),
                Check(
                    "Proxy pods and their restarts.",
                    "kubectl get pods -n envoy-gateway-system "
                    "-l gateway.envoyproxy.io/owning-gateway-name -o wide",
                    "shell",
                ),
            ),
            mitigation=(
                "If 429s dominate, the rate limit is lower than the traffic: raise "
                "`gateway.rateLimit` for the tenant and apply.",
                "If 503s dominate, the model servers behind the gateway are down: follow "
                "ModelAvailabilityBurnRate for the model with the most errors.",
                _ROLLBACK,
            ),
            escalate=_ESCALATE_SLO,
        ),
        Runbook(
            alert="GatewayMetricsAbsent",
            meaning=(
                "Prometheus has scraped no gateway proxy for 10 minutes. Either every proxy is "
                "down (no traffic is served) or scraping broke and the SLOs are blind."
            ),
            dashboard="servegate-on-call",
            panel="Gateway responses by class",
            metrics=("up",),
            checks=(
                Check(
                    "Whether Prometheus still has the proxy targets (0 or no result: none).",
                    'up{job=~".*/servegate-gateway"}',
                    "promql",
                ),
                Check(
                    "Proxy pods of the gateway.",
                    "kubectl get pods -n envoy-gateway-system "
                    "-l gateway.envoyproxy.io/owning-gateway-name -o wide",
                    "shell",
                ),
                Check(
                    "The PodMonitor that scrapes them.",
                    "kubectl get podmonitors -A -l app.kubernetes.io/part-of=servegate -o yaml",
                    "shell",
                ),
            ),
            mitigation=(
                "If the proxies are down, restart the Envoy Gateway controller "
                "(`kubectl rollout restart deployment -n envoy-gateway-system envoy-gateway`) "
                "and check its logs for configuration errors.",
                "If only scraping broke, restore the PodMonitor with `servegate up -s STACK`; "
                "traffic is unaffected but the SLO alerts see nothing until it is back.",
            ),
            escalate=(
                "Escalate to the platform lead at once if requests fail; within the working "
                "day if only metrics are missing."
            ),
        ),
        Runbook(
            alert="ModelAvailabilityBurnRate",
            meaning=(
                "Requests to one model fail (5xx at the gateway, refused or reset) fast enough "
                "to spend its availability error budget before the SLO window ends."
            ),
            dashboard="servegate-on-call",
            panel="Availability burn rate (1 = on budget)",
            metrics=("envoy_cluster_upstream_rq",),
            checks=(
                _PODS,
                Check(
                    "Response codes of the model's route cluster.",
                    "sum by (envoy_response_code) "
                    '(rate(envoy_cluster_upstream_rq{envoy_cluster_name=~".*$model.*"}[5m]))',
                    "promql",
                ),
                Check(
                    "Server errors in the replicas' logs.",
                    "kubectl logs -n $namespace -l servegate.io/model=$model --tail=200 "
                    "--prefix | grep -iE 'error|exception|out of memory'",
                    "shell",
                ),
            ),
            mitigation=(_ROLLBACK, _SCALE, _SHIFT),
            escalate=_ESCALATE_SLO,
        ),
        Runbook(
            alert="ModelLatencyBurnRate",
            meaning=(
                "Too many requests to one model take longer than the latency objective (time "
                "to first token or end to end, see the `sli` label), fast enough to spend the "
                "latency budget."
            ),
            dashboard="servegate-on-call",
            panel="Latency burn rate, 1h (1 = on budget)",
            metrics=("vllm:num_requests_waiting", "vllm:kv_cache_usage_perc"),
            checks=(
                Check(
                    "Queueing per replica: waiting requests mean too little capacity.",
                    'avg(vllm:num_requests_waiting{model_name="$model_name"})',
                    "promql",
                ),
                Check(
                    "KV cache pressure: near 1 means preemptions and recomputation.",
                    'max(vllm:kv_cache_usage_perc{model_name="$model_name"})',
                    "promql",
                ),
                _PODS,
            ),
            mitigation=(_SCALE, _ROLLBACK, _SHIFT),
            escalate=_ESCALATE_SLO,
        ),
        Runbook(
            alert="ModelMetricsAbsent",
            meaning=(
                "No replica of the model has reported vLLM metrics for 10 minutes: every replica "
                "is down, or Prometheus cannot scrape them."
            ),
            dashboard="servegate-debug",
            panel="Requests running and waiting",
            metrics=("up",),
            checks=(
                _PODS,
                Check(
                    "Whether Prometheus still has the model's targets.",
                    'up{namespace="$namespace"}',
                    "promql",
                ),
                Check(
                    "Why a replica does not start (image pull, weights, GPU).",
                    "kubectl describe pod -n $namespace $pod",
                    "shell",
                ),
            ),
            mitigation=(_ROLLBACK, _SHIFT),
            escalate=(
                "Escalate to the model owner at once: with no replica up the model serves nothing."
            ),
        ),
        Runbook(
            alert="ModelQueueDepthHigh",
            meaning=(
                "Requests wait in the replicas' queues for 15 minutes beyond the autoscaling "
                "target: the autoscaler is at its maximum or cannot get GPUs."
            ),
            dashboard="servegate-on-call",
            panel="Requests waiting per replica",
            metrics=("vllm:num_requests_waiting", "kube_pod_status_phase"),
            checks=(
                Check(
                    "Waiting requests per replica.",
                    'avg(vllm:num_requests_waiting{model_name="$model_name"})',
                    "promql",
                ),
                Check(
                    "The autoscaler's view: current and maximum replicas.",
                    "kubectl get scaledobject,hpa -n $namespace",
                    "shell",
                ),
                Check(
                    "Pending replicas waiting for GPU nodes.",
                    'count(kube_pod_status_phase{phase="Pending", namespace="$namespace"} == 1)',
                    "promql",
                ),
            ),
            mitigation=(_SCALE, _SHIFT),
            escalate=(
                "Escalate to the platform lead when the pool is at its maximum size and more "
                "capacity needs budget approval."
            ),
        ),
        Runbook(
            alert="ModelKvCacheSaturated",
            meaning=(
                "A replica has used almost all its KV cache for 15 minutes: requests are "
                "preempted or queued and latency rises."
            ),
            dashboard="servegate-on-call",
            panel="KV cache usage per replica",
            metrics=("vllm:kv_cache_usage_perc", "vllm:num_preemptions_total"),
            checks=(
                Check(
                    "KV cache usage per replica.",
                    'max by (pod) (vllm:kv_cache_usage_perc{model_name="$model_name"})',
                    "promql",
                ),
                Check(
                    "Preemptions: recomputation caused by a full cache.",
                    'sum(rate(vllm:num_preemptions_total{model_name="$model_name"}[5m]))',
                    "promql",
                ),
                Check(
                    "The replica's --max-model-len and --gpu-memory-utilization.",
                    "kubectl get deployment -n $namespace -l servegate.io/model=$model "
                    "-o jsonpath='{.items[*].spec.template.spec.containers[0].args}'",
                    "shell",
                ),
            ),
            mitigation=(
                _SCALE,
                "Lower `models[].maxModelLen` if requests rarely need the full context, so "
                "that more sequences fit; `servegate preview` shows the KV capacity.",
            ),
            escalate=(
                "Escalate to the model owner when saturation persists after scaling: the GPU "
                "is too small for the traffic's context lengths."
            ),
        ),
        Runbook(
            alert="ModelPodsPending",
            meaning=(
                "Replicas of the model have been Pending for 15 minutes: no GPU node has room "
                "(node group at its maximum, a capacity shortage in the zone, or a missing "
                "toleration)."
            ),
            dashboard="servegate-on-call",
            panel="Model-server pods pending",
            metrics=("kube_pod_status_phase", "kube_pod_labels"),
            checks=(
                Check(
                    "The scheduler's reason on a pending pod.",
                    "kubectl describe pod -n $namespace $pod | sed -n '/Events/,$p'",
                    "shell",
                ),
                Check(
                    "Cluster Autoscaler's decision for the pool.",
                    "kubectl logs -n kube-system -l app.kubernetes.io/name=aws-cluster-autoscaler "
                    "--tail=200 | grep -iE 'scale-up|NotTriggerScaleUp|max size'",
                    "shell",
                ),
                Check(
                    "Pending model-server pods per model.",
                    'count((kube_pod_status_phase{phase="Pending"} == 1) and on (namespace, pod) '
                    'kube_pod_labels{label_servegate_io_model="$model"})',
                    "promql",
                ),
            ),
            mitigation=(
                "If the node group is at its maximum, raise the pool's `maxSize` (check the "
                "budget: `servegate preview` prices it) and apply.",
                "If AWS has no capacity for the instance type, add another instance type of "
                "the same GPU to the pool, or shift traffic to the fallback backend.",
                _SHIFT,
            ),
            escalate=(
                "Escalate to the platform lead when capacity in the zone is exhausted: a "
                "capacity reservation or another instance type needs a decision."
            ),
        ),
        Runbook(
            alert="ModelColdStartSlow",
            meaning=(
                "A replica started longer ago than its startup budget and is still not ready: "
                "weights load slowly, or the server fails before it listens."
            ),
            dashboard="servegate-on-call",
            panel="Model-server pods pending",
            metrics=("kube_pod_status_ready",),
            checks=(
                Check(
                    "Where the replica is: downloading weights, loading, compiling.",
                    "kubectl logs -n $namespace $pod -c vllm --tail=100",
                    "shell",
                ),
                Check(
                    "Restarts and probe failures.",
                    "kubectl describe pod -n $namespace $pod",
                    "shell",
                ),
                Check(
                    "Replicas not ready for the model.",
                    'kube_pod_status_ready{condition="false", namespace="$namespace"} == 1',
                    "promql",
                ),
            ),
            mitigation=(
                "If weights download slowly, check the S3 gateway endpoint and the weight "
                "bucket's region; pre-stage weights or raise `models[].startupBudgetSeconds` "
                "only after measuring.",
                _ROLLBACK,
            ),
            escalate="Escalate to the model owner when a new version fails to start.",
        ),
        Runbook(
            alert="GpuUtilisationHigh",
            meaning=(
                "The GPUs of a node have been more than the high threshold busy for 30 minutes: "
                "latency will rise as queues build."
            ),
            dashboard="servegate-executive",
            panel="GPU utilisation, fleet average",
            metrics=("DCGM_FI_DEV_GPU_UTIL", "vllm:num_requests_waiting"),
            checks=(
                Check(
                    "Utilisation per node.",
                    "avg by (Hostname) (DCGM_FI_DEV_GPU_UTIL)",
                    "promql",
                ),
                Check(
                    "Whether requests queue on the busy replicas.",
                    "avg by (model_name) (vllm:num_requests_waiting)",
                    "promql",
                ),
                Check(
                    "Which pods run on the node.",
                    "kubectl get pods -A -o wide --field-selector spec.nodeName=$node",
                    "shell",
                ),
            ),
            mitigation=(_SCALE,),
            escalate=(
                "Escalate to the platform lead when the pool stays saturated at its maximum size."
            ),
        ),
        Runbook(
            alert="GpuUtilisationLow",
            meaning=(
                "The GPUs of a pool have averaged under the low threshold busy for hours: the "
                "pool is larger than its traffic needs, and idle GPUs are the largest waste."
            ),
            dashboard="servegate-executive",
            panel="GPU utilisation per pool (1h average; target 60-90 %)",
            metrics=("servegate:pool_gpu_utilisation:avg1h", "vllm:num_requests_running"),
            checks=(
                Check(
                    "Utilisation of every pool (1h average); the alert's pool label names one.",
                    "sort(servegate:pool_gpu_utilisation:avg1h)",
                    "promql",
                ),
                Check(
                    "Requests the replicas actually run.",
                    "sum by (model_name) (vllm:num_requests_running)",
                    "promql",
                ),
                Check(
                    "The autoscaler's minimum replicas and the pool's nodes.",
                    "kubectl get scaledobject -A -o wide && "
                    "kubectl get nodes -l servegate.io/pool=$pool",
                    "shell",
                ),
            ),
            mitigation=(
                "Lower `models[].replicas.min` (never below the SLA's replica floor) or the "
                "pool's `minSize`, and apply; a smaller instance type of the same GPU may fit "
                "(`servegate preview` shows fit and cost).",
                "Check the cost per 1M tokens panel of the executive dashboard against the "
                "price of a managed model API for the same model.",
            ),
            escalate="Raise it with the service owner at the next capacity review.",
        ),
    )
}


def render(book: Runbook, title_of: dict[str, str]) -> str:
    """The Markdown page of one runbook; ``title_of`` maps dashboard uids to titles."""
    lines = [
        f"# {book.alert}",
        "",
        "## What it means",
        "",
        book.meaning,
        "",
        "## Open first",
        "",
        f"Dashboard **{title_of[book.dashboard]}** (`{book.dashboard}`), panel **{book.panel}**.",
        "",
        "## First three checks",
        "",
    ]
    for number, check in enumerate(book.checks, start=1):
        language = "promql" if check.kind == "promql" else "sh"
        fence = f"   ```{language}"
        lines += [f"{number}. {check.why}", "", fence, f"   {check.command}", "   ```", ""]
    lines += ["## Mitigation", ""]
    lines += [f"- {step}" for step in book.mitigation]
    lines += ["", "## When to escalate", "", book.escalate, ""]
    return "\n".join(lines)


def render_all(title_of: dict[str, str]) -> dict[str, str]:
    """Every page, by file name."""
    pages = {f"{alert}.md": render(book, title_of) for alert, book in sorted(RUNBOOKS.items())}
    index = ["# Runbooks", "", "One page per alert the stacks define.", ""]
    index += [f"- [{alert}]({alert}.md)" for alert in sorted(RUNBOOKS)]
    pages["README.md"] = "\n".join(index) + "\n"
    return pages


def main() -> int:
    """Write docs/runbooks/ from the table."""
    # Imported here: slo_rules imports this module, and the dashboards import slo_rules.
    from components.dashboards import TITLES

    RUNBOOK_DIR.mkdir(parents=True, exist_ok=True)
    for name, text in render_all(TITLES).items():
        (RUNBOOK_DIR / name).write_text(text)
    print(f"wrote {len(RUNBOOKS)} runbooks to {RUNBOOK_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
