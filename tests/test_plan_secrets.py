"""Secret scrubbing and special values."""

from __future__ import annotations

import json

from servegate.plan.secrets import scrub, scrub_properties
from tests.plan_builders import SECRET_SIG, SIG, UNKNOWN, export_secret


def test_sdk_secret_wrappers_are_scrubbed_at_any_depth() -> None:
    wrapped = {"a": [{"b": {SIG: SECRET_SIG, "value": "s3cr3t"}}], "c": 1}

    assert scrub(wrapped) == {"a": [{"b": "[secret]"}], "c": 1}


def test_kubernetes_secret_payload_values_are_scrubbed_but_keys_and_unknowns_stay() -> None:
    inputs = {
        "metadata": {"name": "api-key"},
        "data": {"key": "aHVudGVyMg==", "later": UNKNOWN},
        "stringData": {"plain": "hunter2"},
    }

    scrubbed = scrub_properties("kubernetes:core/v1:Secret", inputs)

    assert scrubbed["data"] == {"key": "[secret]", "later": UNKNOWN}
    assert scrubbed["stringData"] == {"plain": "[secret]"}
    assert scrubbed["metadata"] == {"name": "api-key"}
    assert "hunter2" not in json.dumps(scrubbed) and "aHVudGVyMg" not in json.dumps(scrubbed)


def test_other_kinds_keep_their_data() -> None:
    inputs = {"data": {"config.yaml": "a: 1"}}

    assert scrub_properties("kubernetes:core/v1:ConfigMap", inputs) == inputs


def test_an_unrecognised_signature_reveals_nothing() -> None:
    assert scrub({SIG: "ffffffffffffffffffffffffffffffff", "value": "x"}) == "[secret]"


def test_the_input_is_not_modified() -> None:
    inputs = {"tags": {"t": export_secret("v", plaintext=True)}}
    before = json.dumps(inputs)

    scrub_properties("aws:s3/bucket:Bucket", inputs)

    assert json.dumps(inputs) == before
