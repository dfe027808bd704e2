"""AUD-010 end to end: placeholder values left in a preview plan.

The shipped prod-ca stack pulls from a registry in an example account (111122223333) and pins
vLLM to a placeholder digest (no registry is reachable to read the real one), so its own plan
carries placeholders; :func:`without_placeholders` gives the corrected plan (the account and
the digest replaced by real-looking ones), and each case puts one placeholder back on one
resource.
"""

from __future__ import annotations

import json
from typing import Any

from components import catalog
from tests.policy_cases_audit_security import PolicyCase, Target, _first, _target

# Not an example id of placeholders.yaml: stands for the stack owner's real account.
OWN_ACCOUNT = "210987654321"
# Not a placeholder of placeholders.yaml: stands for the digest the owner's mirror holds.
OWN_DIGEST = "sha256:" + "5e" * 32


def _placeholder_accounts() -> list[str]:
    return [str(account) for account in catalog.placeholders()["account_ids"]]


def _placeholder_digests() -> list[str]:
    return [str(digest) for digest in catalog.placeholders()["image_digests"]]


def without_placeholders(doc: dict[str, Any]) -> dict[str, Any]:
    """The plan with every placeholder account id and digest replaced: what AUD-010 lets pass."""
    text = json.dumps(doc)
    for account in _placeholder_accounts():
        text = text.replace(account, OWN_ACCOUNT)
    for digest in _placeholder_digests():
        text = text.replace(digest, OWN_DIGEST)
    corrected: dict[str, Any] = json.loads(text)
    return corrected


def aud_010(doc: dict[str, Any]) -> Target:
    """One model server pulls its image from the mirror in the example account again."""
    deployment = _first(doc, "kubernetes:apps/v1:Deployment", role="model-server")
    container = deployment["inputs"]["spec"]["template"]["spec"]["containers"][0]
    assert OWN_ACCOUNT in container["image"], "the case expects a mirrored image"
    container["image"] = container["image"].replace(OWN_ACCOUNT, _placeholder_accounts()[0])
    return _target(deployment)


def aud_010_tag(doc: dict[str, Any]) -> Target:
    """The stack's AWS provider writes the placeholder cost center as a default tag."""
    provider = _first(doc, "pulumi:providers:aws")
    placeholder = catalog.placeholders()["tag_values"]["cost-center"][0]
    # A preview carries provider inputs as JSON text.
    default_tags = json.loads(provider["inputs"]["defaultTags"])
    default_tags["tags"]["cost-center"] = placeholder
    provider["inputs"]["defaultTags"] = json.dumps(default_tags)
    return _target(provider)


def aud_010_digest(doc: dict[str, Any]) -> Target:
    """One model server's image is pinned to the placeholder digest again."""
    deployment = _first(doc, "kubernetes:apps/v1:Deployment", role="model-server")
    container = deployment["inputs"]["spec"]["template"]["spec"]["containers"][0]
    assert OWN_DIGEST in container["image"], "the case expects an image pinned by digest"
    container["image"] = container["image"].replace(OWN_DIGEST, _placeholder_digests()[0])
    return _target(deployment)


PLACEHOLDER_CASES: dict[str, PolicyCase] = {"AUD-010": aud_010}
# Further violations of the same rule, checked the same way (tests/test_gate_rules.py).
PLACEHOLDER_VARIANTS: dict[str, PolicyCase] = {
    "AUD-010 default tag": aud_010_tag,
    "AUD-010 image digest": aud_010_digest,
}
