"""The SDK import floor: a fresh process importing exactly the Pulumi SDK modules a preview loads.

No servegate code runs. ``--modules FILE`` names the modules (a JSON list, written by
``bench/preview_phases.py`` from a real preview of the same stack); without it, the Pulumi
SDK packages the components use are imported and fully loaded. What a preview takes beyond
this floor is servegate's own cost.

    .venv/bin/python bench/sdk_floor.py [--modules bench/out/sdk-modules-prod-ca.json]
"""

from __future__ import annotations

import argparse
import importlib
import json
import time
from pathlib import Path

# The SDK packages the components import (used without --modules).
PACKAGES = (
    "pulumi",
    "pulumi.runtime.mocks",
    "pulumi_aws.cloudtrail",
    "pulumi_aws.cloudwatch",
    "pulumi_aws.ec2",
    "pulumi_aws.eks",
    "pulumi_aws.iam",
    "pulumi_aws.kms",
    "pulumi_aws.s3",
    "pulumi_aws.vpc",
    "pulumi_aws.autoscaling",
    "pulumi_kubernetes.apiextensions",
    "pulumi_kubernetes.apps.v1",
    "pulumi_kubernetes.core.v1",
    "pulumi_kubernetes.helm.v3",
    "pulumi_kubernetes.meta.v1",
    "pulumi_kubernetes.policy.v1",
    "pulumi_kubernetes.yaml",
    "pulumi_tls",
)
SDK_PREFIXES = ("pulumi", "pulumi_aws", "pulumi_kubernetes", "pulumi_tls")


def is_sdk_module(name: str) -> bool:
    return name.split(".", 1)[0] in SDK_PREFIXES


def import_all(names: list[str]) -> None:
    for name in names:
        module = importlib.import_module(name)
        # The SDKs load submodules lazily, on the first attribute read: read one.
        getattr(module, "__servegate_floor__", None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=Path, help="JSON list of the modules to import")
    args = parser.parse_args()
    names = json.loads(args.modules.read_text()) if args.modules else list(PACKAGES)
    started = time.perf_counter()
    import_all(names)
    print(json.dumps({"modules": len(names), "import_s": time.perf_counter() - started}))


if __name__ == "__main__":
    main()
