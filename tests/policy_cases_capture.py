"""Plan mutations for the payload-capture rules (RES-019, RES-020).

Same contract as tests/policy_cases_residency_sla_cost.py: each case edits the compliant
prod-ca preview in place and returns the one resource its rule must fire on. prod-ca captures
1 % of its requests (observability.payloadSampling.rate 0.01), so its plan holds the gateway's
tracing environment, the Collector release and the capture bucket; the compliant plan itself is
each rule's corrected plan. Releases are found by what their values do (a Collector
configuration, the external processor's environment), never by name.
"""

from __future__ import annotations

from typing import Any

from tests.policy_cases_residency_sla_cost import Doc, PolicyCase, State, Target, _find, _target

RELEASE = "kubernetes:helm.sh/v3:Release"
BUCKET = "aws:s3/bucket:Bucket"


def collector_release(doc: Doc) -> State:
    """The release whose values hold a Collector configuration."""
    return _find(doc, RELEASE, lambda s: "alternateConfig" in s["inputs"].get("values", {}))


def collector_config(doc: Doc) -> dict[str, Any]:
    config: dict[str, Any] = collector_release(doc)["inputs"]["values"]["alternateConfig"]
    return config


def tracing_release(doc: Doc) -> State:
    """The release whose external processor exports traces (Envoy AI Gateway's)."""
    return _find(
        doc,
        RELEASE,
        lambda s: "extraEnvVars" in s["inputs"].get("values", {}).get("extProc", {}),
    )


def capture_without_redaction(doc: Doc) -> Target:
    """The Collector's traces pipeline with its redaction processor taken out."""
    config = collector_config(doc)
    pipeline = config["service"]["pipelines"]["traces"]
    pipeline["processors"] = [p for p in pipeline["processors"] if p != "redaction"]
    return _target(collector_release(doc))


def out_of_zone_bucket(doc: Doc) -> Target:
    """The awss3 exporter writing to its bucket through us-east-1, outside zone ca (a bucket
    that is not the plan's is RES-019's too: its encryption cannot be judged)."""
    uploader = collector_config(doc)["exporters"]["awss3"]["s3uploader"]
    uploader["region"] = "us-east-1"
    return _target(collector_release(doc))


def capture_bucket(doc: Doc) -> State:
    """The bucket the Collector's awss3 exporter names."""
    name = collector_config(doc)["exporters"]["awss3"]["s3uploader"]["s3_bucket"]
    return _find(doc, BUCKET, lambda s: s["inputs"].get("bucket") == name)


def bucket_out_of_zone(doc: Doc) -> tuple[Target, Target]:
    """The capture bucket itself in us-east-1 (its own region input, as the inventory reads a
    resource's region), the exporter's region unchanged: the bucket's place decides. Returns
    (the Collector release, RES-020's target; the bucket, which RES-001 judges as any resource)."""
    bucket = capture_bucket(doc)
    bucket["inputs"]["region"] = "us-east-1"
    return _target(collector_release(doc)), _target(bucket)


def collector_writing_out_of_zone(doc: Doc) -> Target:
    """:func:`bucket_out_of_zone` as a case: RES-020's target is the Collector release."""
    return bucket_out_of_zone(doc)[0]


def bucket_of_no_plan(doc: Doc) -> Target:
    """The exporter names a bucket the plan does not hold: its place is unknown (RES-020) and
    its encryption and retention too (RES-019, prod-ca routes regulated requests)."""
    uploader = collector_config(doc)["exporters"]["awss3"]["s3uploader"]
    uploader["s3_bucket"] = "someone-elses-payloads"
    return _target(collector_release(doc))


def payloads_to_a_second_exporter(doc: Doc) -> Target:
    """The traces pipeline also exports to an OTLP/HTTP endpoint the gate cannot place."""
    config = collector_config(doc)
    config["exporters"]["otlphttp"] = {"endpoint": "https://otlp.example.com"}
    config["service"]["pipelines"]["traces"]["exporters"].append("otlphttp")
    return _target(collector_release(doc))


def gateway_samples_everything(doc: Doc) -> Target:
    """The external processor's sampler taken out: every span leaves the gateway."""
    release = tracing_release(doc)
    env = release["inputs"]["values"]["extProc"]["extraEnvVars"]
    env[:] = [var for var in env if var["name"] != "OTEL_TRACES_SAMPLER"]
    return _target(release)


def payloads_to_an_external_collector(doc: Doc) -> Target:
    """The gateway's spans sent to a collector outside the cluster."""
    release = tracing_release(doc)
    for var in release["inputs"]["values"]["extProc"]["extraEnvVars"]:
        if var["name"] == "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT":
            var["value"] = "https://otlp.example.com/v1/traces"
    return _target(release)


def traces_without_payloads_anywhere(doc: Doc) -> None:
    """Inputs and outputs hidden and the spans sent outside: traces only, allowed."""
    payloads_to_an_external_collector(doc)
    capture_without_redaction(doc)
    for var in tracing_release(doc)["inputs"]["values"]["extProc"]["extraEnvVars"]:
        if var["name"].startswith("OPENINFERENCE_HIDE_"):
            var["value"] = "true"


CAPTURE_CASES: dict[str, PolicyCase] = {
    "RES-019": capture_without_redaction,
    "RES-020": out_of_zone_bucket,
}
# Other rules a variant fires by construction, by variant name: a bucket out of the zone is
# RES-001's resource too (every resource's region); spans sent to an external collector are
# also no Collector of the plan, which prod-ca's regulated class needs (RES-019).
CAPTURE_OVERLAPS: dict[str, set[str]] = {
    "RES-020 bucket out of zone": {"RES-001"},
    "RES-020 external collector": {"RES-019"},
}
CAPTURE_VARIANTS: dict[str, PolicyCase] = {
    "RES-020 external collector": payloads_to_an_external_collector,
    "RES-020 bucket out of zone": collector_writing_out_of_zone,
    "RES-020 second exporter": payloads_to_a_second_exporter,
    "RES-019 no source sampling": gateway_samples_everything,
}
