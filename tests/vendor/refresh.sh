#!/usr/bin/env bash
# Re-vendor every CRD schema and chart values file the stacks are checked against.
# Each line: chart + version it is installed by, upstream repository, release tag, paths.
# Needs a clone of each repository with its tags under $SERVEGATE_MIRRORS (owner+name/repo),
# and the project's Python on PATH (e.g. PATH=.venv/bin:$PATH bash tests/vendor/refresh.sh).
# A pin changes: add its lines here, run this, delete the lines (and files) of the old pin.
set -euo pipefail
cd "$(dirname "$0")/../.."
v() { python -m tests.vendor.vendor "$@"; }

EG_KINDS=Backend,BackendTrafficPolicy,ClientTrafficPolicy,EnvoyPatchPolicy,EnvoyProxy,SecurityPolicy
GWAPI_KINDS=Gateway,GatewayClass,BackendTLSPolicy
AIEG_CRDS=manifests/charts/ai-gateway-crds-helm/templates
AIEG_KINDS=AIGatewayRoute,AIServiceBackend,BackendSecurityPolicy
KPS_CRDS=charts/kube-prometheus-stack/charts/crds/crds
PROM_KINDS=ServiceMonitor,PodMonitor,PrometheusRule,Prometheus
KEDA_KINDS=ScaledObject

eg() {  # chart version, CRD folder of the chart
  v crds envoyproxy/gateway "$1" "$2/generated/" --kinds "$EG_KINDS" --chart gateway-helm --chart-version "$1"
  # Envoy Gateway's chart installs Gateway API's experimental channel (bundle-version annotation).
  # At v1.8.3 the Gateway and GatewayClass specs equal kubernetes-sigs/gateway-api v1.5.1
  # config/crd/experimental (commit e7677b70ae75), compared 2026-12-01.
  v crds envoyproxy/gateway "$1" "$2/gatewayapi-crds.yaml" --kinds "$GWAPI_KINDS" --chart gateway-helm --chart-version "$1"
  v values envoyproxy/gateway "$1" charts/gateway-helm/values.tmpl.yaml --chart gateway-helm --chart-version "$1"
  # config.envoyGateway is the EnvoyGateway configuration file; its API reference at the tag
  # is generated from api/v1alpha1 (make gen-check keeps it current).
  v api-doc envoyproxy/gateway "$1" site/content/en/latest/api/extension_types.md --root EnvoyGateway --applies-to config.envoyGateway --chart gateway-helm --chart-version "$1"
}
aieg() {  # chart version
  v crds envoyproxy/ai-gateway "$1" "$AIEG_CRDS/" --kinds "$AIEG_KINDS" --chart ai-gateway-crds-helm --chart-version "$1"
  v values envoyproxy/ai-gateway "$1" manifests/charts/ai-gateway-helm/values.yaml --chart ai-gateway-helm --chart-version "$1"
  v values envoyproxy/ai-gateway "$1" manifests/charts/ai-gateway-crds-helm/values.yaml --chart ai-gateway-crds-helm --chart-version "$1"
}
kps() {  # chart version, kube-state-metrics version, grafana repository, grafana version
  v crds prometheus-community/helm-charts "kube-prometheus-stack-$1" "$KPS_CRDS/" --kinds "$PROM_KINDS" --chart kube-prometheus-stack --chart-version "$1"
  v values prometheus-community/helm-charts "kube-prometheus-stack-$1" charts/kube-prometheus-stack/values.yaml --chart kube-prometheus-stack --chart-version "$1"
  v values prometheus-community/helm-charts "kube-state-metrics-$2" charts/kube-state-metrics/values.yaml --chart kube-state-metrics --chart-version "$2"
  v values "$3" "grafana-$4" charts/grafana/values.yaml --chart grafana --chart-version "$4"
}
keda() {  # chart version
  v crds kedacore/charts "v$1" keda/templates/crds/ --kinds "$KEDA_KINDS" --chart keda --chart-version "$1"
  v values kedacore/charts "v$1" keda/values.yaml --chart keda --chart-version "$1"
}
dcgm() {  # chart version, tag
  v values NVIDIA/dcgm-exporter "$2" deployment/values.yaml --chart dcgm-exporter --chart-version "$1"
}
device_plugin() {  # chart version
  v values NVIDIA/k8s-device-plugin "v$1" deployments/helm/nvidia-device-plugin/values.yaml --chart nvidia-device-plugin --chart-version "$1"
}
eso() {  # chart version (the chart's CRDs are deploy/crds/bundle.yaml, packaged into the chart)
  v crds external-secrets/external-secrets "helm-chart-$1" deploy/crds/bundle.yaml --kinds ExternalSecret,SecretStore --chart external-secrets --chart-version "$1"
  v values external-secrets/external-secrets "helm-chart-$1" deploy/charts/external-secrets/values.yaml --chart external-secrets --chart-version "$1"
}
argo_rollouts() {  # chart version (the chart ships the CRDs of its appVersion under templates/crds)
  v crds argoproj/argo-helm "argo-rollouts-$1" charts/argo-rollouts/templates/crds/ --kinds Rollout,AnalysisTemplate --chart argo-rollouts --chart-version "$1"
  v values argoproj/argo-helm "argo-rollouts-$1" charts/argo-rollouts/values.yaml --chart argo-rollouts --chart-version "$1"
}

# The pins of components/data/versions.yaml.
eg v1.8.3 charts/gateway-helm/charts/crds/crds
aieg v1.1.0
kps 88.5.3 8.4.0 grafana-community/helm-charts 12.11.1  # subcharts: Chart.yaml's exact pins
keda 2.20.2
dcgm 4.8.2 4.5.3-4.8.2
device_plugin 0.20.0
eso 2.9.0
argo_rollouts 2.41.0
