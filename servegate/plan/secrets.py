"""Secret scrubbing and Pulumi's special property values.

Every plan source passes resource properties through :func:`scrub_properties` before they
become a :class:`~servegate.plan.raw.RawResource`, so no secret reaches the inventory, an
engine or a report. Secrets become the string ``"[secret]"`` (what ``pulumi preview --json``
prints). Assets, archives and resource references share the secret's signature key; they
are not secret and become a small readable form instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from servegate.plan.unknowns import SIG_KEY, UNKNOWN

SECRET = "[secret]"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
# The SDK's wire form of an Output (only sent when the monitor supports output values).
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"

# Properties whose every value is a secret whether or not the program marked it:
# Kubernetes Secret payloads and the TLS provider's private keys (inputs and outputs).
_SECRET_VALUED_PROPERTIES: dict[str, tuple[str, ...]] = {
    "kubernetes:core/v1:Secret": ("data", "stringData"),
    "tls:index/privateKey:PrivateKey": ("privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"),
    "tls:index/selfSignedCert:SelfSignedCert": ("privateKeyPem",),
    "tls:index/certRequest:CertRequest": ("privateKeyPem",),
    "tls:index/locallySignedCert:LocallySignedCert": ("caPrivateKeyPem",),
}


def scrub(value: Any) -> Any:
    """``value`` with secrets replaced by ``"[secret]"`` and special values made readable."""
    if isinstance(value, dict):
        if SIG_KEY in value:
            return _special(value)
        # Scalars are returned as they are without a call: inventories are large.
        return {
            key: scrub(item) if isinstance(item, (dict, list)) else item
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [scrub(item) if isinstance(item, (dict, list)) else item for item in value]
    return value


def scrub_properties(type_token: str, properties: Mapping[str, Any]) -> dict[str, Any]:
    """A resource's properties scrubbed, including the values of secret-valued maps."""
    scrubbed: dict[str, Any] = scrub(dict(properties))
    for key in _SECRET_VALUED_PROPERTIES.get(type_token, ()):
        payload = scrubbed.get(key)
        if isinstance(payload, dict):
            scrubbed[key] = {name: _blind(item) for name, item in payload.items()}
        elif payload is not None:
            scrubbed[key] = _blind(payload)
    return scrubbed


def has_secret_payload(type_token: str) -> bool:
    """Whether resources of this type carry values that are secret whatever their marking."""
    return type_token in _SECRET_VALUED_PROPERTIES


def _blind(value: Any) -> Any:
    # An unknown value reveals nothing and policies need to see that it is unknown.
    return value if value == UNKNOWN else SECRET


def _special(value: dict[str, Any]) -> Any:
    signature = value[SIG_KEY]
    if signature == RESOURCE_SIG:
        return value.get("urn", UNKNOWN)
    if signature == ASSET_SIG:
        return {"asset": _locator(value)}
    if signature == ARCHIVE_SIG:
        if isinstance(value.get("assets"), dict):
            return {"archive": {"assets": scrub(value["assets"])}}
        return {"archive": _locator(value)}
    if signature == OUTPUT_SIG:
        if value.get("secret"):
            return SECRET
        return scrub(value["value"]) if "value" in value else UNKNOWN
    # Secrets, and any signature this version does not know: fail safe, reveal nothing.
    return SECRET


def _locator(value: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value[key] for key in ("path", "uri", "text", "hash") if key in value}
