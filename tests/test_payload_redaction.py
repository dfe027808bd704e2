"""The Collector's redaction, as rendered for prod-ca, applied to sample spans.

The redaction processor is replicated from its source (opentelemetry-collector-contrib
processor/redactionprocessor/processor.go, processAttrs and maskValue; policies/data/
pii_patterns.yaml names the commit read): with allow_all_keys every attribute key stays; each
string value is matched against every blocked_values regexp in order (Go regexp, RE2 syntax,
here google-re2) and every match is replaced by "****", the text around it kept. Non-string
values are left alone unless redact_all_types is set (it is not).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import re2

from components import catalog
from tests import stacks

SPANS = Path(__file__).parent / "fixtures" / "capture" / "sample_spans.json"
MASK = "****"
RELEASE = "kubernetes:helm.sh/v3:Release"


def _collector_config() -> dict[str, Any]:
    """The Collector configuration prod-ca's plan hands the chart (alternateConfig)."""
    configs = [
        r["props"]["values"]["alternateConfig"]
        for r in stacks.of_type("prod-ca", RELEASE)
        if "alternateConfig" in r["props"].get("values", {})
    ]
    assert len(configs) == 1
    config: dict[str, Any] = configs[0]
    return config


def _redact(value: str, blocked: list[Any]) -> str:
    for pattern in blocked:
        if pattern.search(value):
            value = pattern.sub(MASK, value)
    return value


def _redacted_spans() -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    redaction = _collector_config()["processors"]["redaction"]
    assert redaction["allow_all_keys"] is True
    assert not redaction.get("redact_all_types")
    assert not redaction.get("allowed_values"), "an allowed value would exempt whole attributes"
    blocked = [re2.compile(p) for p in redaction["blocked_values"]]
    document = json.loads(SPANS.read_text(encoding="utf-8"))
    spans: dict[str, dict[str, Any]] = {}
    for resource in document["resourceSpans"]:
        for scope in resource["scopeSpans"]:
            for span in scope["spans"]:
                for attribute in span["attributes"]:
                    value = attribute["value"]
                    if "stringValue" in value:
                        value["stringValue"] = _redact(value["stringValue"], blocked)
                spans[span["spanId"]] = span
    return document, spans


def _texts(span: dict[str, Any]) -> dict[str, str]:
    return {
        a["key"]: a["value"]["stringValue"]
        for a in span["attributes"]
        if "stringValue" in a["value"]
    }


def test_the_collector_masks_exactly_the_compliance_patterns_in_order() -> None:
    rendered = _collector_config()["processors"]["redaction"]["blocked_values"]
    assert rendered == [p.regex for p in catalog.pii_patterns()]


def test_redaction_runs_before_anything_is_exported() -> None:
    pipeline = _collector_config()["service"]["pipelines"]["traces"]
    processors = pipeline["processors"]
    assert processors[processors.index("redaction") + 1 :] == ["batch"]
    assert pipeline["exporters"] == ["awss3"]


def test_the_samples_hold_every_example_of_every_pattern() -> None:
    document = json.loads(SPANS.read_text(encoding="utf-8"))
    sampled = {(c["pattern"], c["example"]) for c in document["cases"]}
    listed = {(p.name, e) for p in catalog.pii_patterns() for e in p.examples}
    assert sampled == listed
    assert all(p.examples for p in catalog.pii_patterns())


def test_every_pii_example_is_masked_and_the_text_around_it_kept() -> None:
    document, spans = _redacted_spans()
    for case in document["cases"]:
        texts = _texts(spans[case["spanId"]])
        payload = [v for k, v in texts.items() if k != "llm.model_name"]
        assert payload == [case["expected"]], case["pattern"]
        assert case["example"] not in payload[0]


def test_ordinary_text_is_not_masked() -> None:
    document, spans = _redacted_spans()
    for negative in document["negatives"]:
        assert _texts(spans[negative["spanId"]]) == {"output.value": negative["text"]}
    # The model's name and the token count pass untouched too.
    for span in spans.values():
        model = _texts(span).get("llm.model_name")
        assert model in (None, "mistralai/Mistral-7B-Instruct-v0.3")


def test_a_pattern_that_re2_rejects_would_fail_here() -> None:
    # Go's regexp (RE2) has no lookaround; a pattern using it must not reach the data file.
    for pattern in catalog.pii_patterns():
        assert "(?=" not in pattern.regex and "(?<" not in pattern.regex, pattern.name
        re2.compile(pattern.regex)
