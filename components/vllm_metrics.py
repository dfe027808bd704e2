"""vLLM's own latency histograms at the pinned version (components/data/versions.yaml, vllm).

Names from vllm/v1/metrics/loggers.py and default bucket bounds from vllm/v1/metrics/buckets.py
(TIME_TO_FIRST_TOKEN_BUCKETS, REQUEST_LATENCY_BUCKETS) of the vllm 0.33.0 wheel (commit
g4ba787ec9), read 2026-12-01; tests/vendor/metrics/vllm-0.33.0.txt lists them and
tests/test_metric_names.py checks these against it. The components pass no
``--custom-histogram-buckets``, so the defaults are what the servers export. Each series
carries ``model_name`` (the served model name) and ``engine``, plus the scrape's target labels.
"""

from __future__ import annotations

TIME_TO_FIRST_TOKEN = "vllm:time_to_first_token_seconds"
TIME_TO_FIRST_TOKEN_BUCKETS = (
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5,
    10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0,
)  # fmt: skip
E2E_REQUEST_LATENCY = "vllm:e2e_request_latency_seconds"
"""From the request's arrival at the server to its last token, for every finished request."""
E2E_REQUEST_LATENCY_BUCKETS = (
    0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0,
    240.0, 480.0, 960.0, 1920.0, 7680.0,
)  # fmt: skip

# The OpenAI API server's HTTP counter. vllm/entrypoints/serve/instrumentator/metrics.py at vLLM
# 0.33.0 (wheel commit g4ba787ec9, read 2026-12-01) instruments the app with
# prometheus-fastapi-instrumentator's defaults (``Instrumentator(excluded_handlers=[...]).add()``,
# the wheel requires prometheus-fastapi-instrumentator>=8.0.0): ``http_requests_total`` with labels
# ``method``, ``status``, ``handler`` (metrics.py ``default``), the status grouped to its class
# ("2xx", "5xx": middleware.py, should_group_status_codes=True), a request that raises before its
# response starts counted as 500 (read in 8.0.0 and 8.1.0 from PyPI). It carries no model label:
# the model's series are told apart by the scrape's target labels. A chat or completion request
# whose client goes away before the answer (the gateway's timeout included) is answered with an
# empty 200 (``with_cancellation``, vllm/entrypoints/serve/utils/api_utils.py): disconnects are
# never 5xx here, and neither is a request the gateway gave up on.
HTTP_REQUESTS = "http_requests_total"
HTTP_STATUS_LABEL = "status"
HTTP_SERVER_ERRORS = "5xx"
"""The grouped status of the requests vLLM answered with a server error (an engine error,
``FinishReason.ERROR``, is always a 500: vllm/v1/engine/__init__.py)."""
HTTP_HANDLER_LABEL = "handler"
READINESS_PATH = "/v1/models"
"""The path of the model servers' readiness probe (components/vllm.py). vLLM's instrumentator
does not exclude it (it excludes /metrics, /health, /load, /ping, /version, /server_info), so
the kubelet's probes are in ``http_requests_total``; Envoy AI Gateway answers a client's
/v1/models itself. A per-pod error ratio leaves the handler out."""
