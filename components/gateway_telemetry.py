"""Where the gateway's request metrics come from and how they are named, as plain data.

Users reach the models only through the Envoy proxies that Envoy Gateway runs for the
stack's Gateway, so the SLIs are measured there (components/slo_rules.py):

- Envoy's own stats, scraped from the proxy container's ``metrics`` port
  (``/stats/prometheus``). Envoy Gateway v1.8 (read at v1.8.1 and v1.8.3) names the
  cluster of HTTPRoute rule ``i`` ``httproute/<namespace>/<route>/rule/<i>``
  (internal/gatewayapi/helpers.go, ``irRouteDestinationName``), or gives each backend its
  own ``.../rule/<i>/backend/<j>`` when the backends need different cluster settings.
  Envoy AI Gateway v1.1 turns the AIGatewayRoute into an HTTPRoute of the same name and
  namespace with the same rules in the same order (plus a trailing ``route-not-found``
  rule): a model's stable and canary Backends are two weighted localities of its rule's
  cluster.
- Envoy AI Gateway's ``gen_ai_*`` histograms, scraped from the external processor's
  ``aigw-admin`` port (``/metrics``), which the AI Gateway controller injects into every
  proxy pod. Its OpenTelemetry names become Prometheus names through the OTel Prometheus
  exporter (dots to underscores, unit suffix): ``gen_ai.server.request.duration`` (unit
  ``s``) is ``gen_ai_server_request_duration_seconds``.

The vendored metric lists under tests/vendor/metrics/ record each name with its source.
"""

from __future__ import annotations

from dataclasses import dataclass

# Envoy Gateway puts the proxy pods of every Gateway in its own namespace
# (provider.kubernetes.deploy.type defaults to ControllerNamespace) with these labels
# (internal/infrastructure/kubernetes/proxy/resource.go, EnvoyAppLabel).
PROXY_POD_LABELS = {
    "app.kubernetes.io/name": "envoy",
    "app.kubernetes.io/component": "proxy",
    "app.kubernetes.io/managed-by": "envoy-gateway",
}
OWNING_GATEWAY_NAME_LABEL = "gateway.envoyproxy.io/owning-gateway-name"
OWNING_GATEWAY_NAMESPACE_LABEL = "gateway.envoyproxy.io/owning-gateway-namespace"
ENVOY_METRICS_PORT = "metrics"
ENVOY_METRICS_PATH = "/stats/prometheus"
AI_GATEWAY_METRICS_PORT = "aigw-admin"
AI_GATEWAY_METRICS_PATH = "/metrics"

# Envoy stats in Prometheus form: the default tag extractors turn
# cluster.<name>.upstream_rq_<code> into envoy_cluster_upstream_rq{envoy_cluster_name,
# envoy_response_code} and http.<prefix>.downstream_rq_<class>xx into
# envoy_http_downstream_rq_xx{envoy_http_conn_manager_prefix, envoy_response_code_class}.
CLUSTER_RESPONSES = "envoy_cluster_upstream_rq"
CLUSTER_UPSTREAM_RESETS = "envoy_cluster_upstream_rq_tx_reset"
DOWNSTREAM_RESPONSES = "envoy_http_downstream_rq_xx"
DOWNSTREAM_RESETS = "envoy_http_downstream_rq_rx_reset"
LOCAL_RATE_LIMITED = "envoy_http_local_rate_limit_rate_limited"
ENVOY_LIVE = "envoy_server_live"
# Envoy Gateway's stat prefix of an HTTPS listener's connection manager is "https-<port>"
# (internal/xds/translator/listener.go, hcmStatPrefix); its own stats and readiness
# listeners use other prefixes (eg-stats-http, ...).
HTTPS_LISTENER_PREFIX = "https-[0-9]+"
# Envoy Gateway's local rate limit filter stat prefix (internal/xds/translator/local_ratelimit.go).
LOCAL_RATE_LIMIT_PREFIX = "http_local_rate_limiter"

# Envoy AI Gateway's histograms (internal/metrics/genai.go) and their bucket bounds.
REQUEST_DURATION = "gen_ai_server_request_duration_seconds"
TIME_TO_FIRST_TOKEN = "gen_ai_server_time_to_first_token_seconds"
TIME_PER_OUTPUT_TOKEN = "gen_ai_server_time_per_output_token_seconds"
TOKEN_USAGE = "gen_ai_client_token_usage"
MODEL_LABEL = "gen_ai_original_model"
"""The model field of the request body as the client sent it (the served model name)."""
ERROR_LABEL = "error_type"
"""Set (to ``_OTHER``) on request-duration samples of failed requests only."""
REQUEST_DURATION_BUCKETS = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)  # fmt: skip
TIME_TO_FIRST_TOKEN_BUCKETS = (
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5,
    10.0, 15.0, 20.0, 30.0, 45.0, 60.0,
)  # fmt: skip


@dataclass(frozen=True)
class GatewayTelemetry:
    """The stack's gateway as its metrics name it."""

    proxy_namespace: str
    """Namespace of the Envoy proxy pods (Envoy Gateway's own namespace)."""
    gateway_namespace: str
    gateway_name: str
    route_name: str
    """Name of the AIGatewayRoute (and of the HTTPRoute generated from it)."""
    route_models: tuple[tuple[str, ...], ...]
    """Per rule of the route, in order, the self-hosted models (``models[].name``) it routes
    to: rule ``i`` reaches ``route_models[i]`` (components.routing plans the rules)."""
    scrape_namespace: str
    """Namespace of the PodMonitor that scrapes the proxies."""
    scrape_name: str = "servegate-gateway"

    @property
    def job(self) -> str:
        """The ``job`` label Prometheus Operator gives targets of the PodMonitor."""
        return f"{self.scrape_namespace}/{self.scrape_name}"

    def rules_of(self, model: str) -> list[int]:
        """Indexes of the route rules that reach ``model`` (its catch-all first)."""
        indexes = [i for i, models in enumerate(self.route_models) if model in models]
        if not indexes:
            raise ValueError(f"no rule of route {self.route_name} reaches model {model!r}")
        return indexes

    def cluster(self, model: str, rule: int | None = None) -> str:
        """Envoy's cluster name for a route rule reaching ``model`` (default its first)."""
        index = self.rules_of(model)[0] if rule is None else rule
        return f"httproute/{self.gateway_namespace}/{self.route_name}/rule/{index}"

    def clusters(self, model: str) -> str:
        """Regex matching the cluster of every rule reaching ``model`` (its catch-all and the
        rules per classification), or the cluster of each of their backends: Envoy Gateway
        splits a rule into ``<rule cluster>/backend/<j>`` clusters when its backends need
        different settings (internal/ir/xds.go, NeedsClusterPerSetting), e.g. per-backend
        filters."""
        indexes = [str(i) for i in self.rules_of(model)]
        rule = indexes[0] if len(indexes) == 1 else f"({'|'.join(indexes)})"
        base = f"httproute/{self.gateway_namespace}/{self.route_name}/rule/"
        # PromQL unescapes its string literals: a backslash pair there is one regex escape.
        literal = base.replace(".", "\\\\.") + rule
        return f"{literal}(/backend/[0-9]+)?"
