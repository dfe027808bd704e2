"""Files servegate writes for its users: a new stack's config (CI pipelines: ci_pipeline)."""

from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import yaml

from components import catalog, versions
from components.config import ConfigError, load_stack, stack_file
from servegate.errors import GateError
from servegate.templates_dir import template_loader

_STACK_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DEFAULT_AVAILABILITY = 99.9
# A new stack's VPC is the first /16 of 10.0.0.0/8, from 10.60.0.0/16 up and then from
# 10.0.0.0/16, that no other stack file declares: stacks can then be peered or joined to
# one transit gateway without renumbering.
_CIDR_POOL = ipaddress.IPv4Network("10.0.0.0/8")
_FIRST_CIDR = 60


def _placeholder(kind: str, key: str | None = None) -> str:
    """The stand-in value new-stack writes (the first of policies/data/placeholders.yaml)."""
    values: Any = catalog.placeholders()[kind]
    return str((values[key] if key else values)[0])


PLACEHOLDER_ACCOUNT = _placeholder("account_ids")
PLACEHOLDER_COST_CENTER = _placeholder("tag_values", "cost-center")
PLACEHOLDER_DIGEST = _placeholder("image_digests")


def _environment() -> jinja2.Environment:
    # YAML, not HTML: no autoescape; StrictUndefined so a missing value fails loudly.
    return jinja2.Environment(  # noqa: S701
        loader=template_loader(),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


@dataclass(frozen=True)
class NewStack:
    """What `servegate new-stack` needs to write a compliant stack file."""

    name: str
    zone: str
    region: str
    availability: float | None = DEFAULT_AVAILABILITY
    air_gapped: bool = False
    instance_type: str = "g6.xlarge"
    owner: str = "ml-platform"
    cost_center: str = PLACEHOLDER_COST_CENTER
    classification: str = "regulated"
    account: str = PLACEHOLDER_ACCOUNT
    kubernetes_version: str = field(default_factory=versions.kubernetes_version)
    environment: str | None = None
    """Default: the name's first part (prod-ca2 -> prod)."""

    @property
    def environment_name(self) -> str:
        return self.environment or self.name.split("-", 1)[0]


def _validate(request: NewStack) -> None:
    if not _STACK_NAME.match(request.name):
        raise GateError(f"stack name {request.name!r}: use lowercase letters, digits and '-'")
    zones = catalog.zones()
    if request.zone not in zones:
        raise GateError(f"--zone {request.zone!r} is not a known zone ({', '.join(sorted(zones))})")
    if request.region not in zones[request.zone]:
        allowed = ", ".join(zones[request.zone])
        raise GateError(f"--region {request.region!r} is not in zone {request.zone} ({allowed})")
    if request.instance_type not in catalog.gpu_instances():
        raise GateError(f"--instance-type {request.instance_type!r} is not in the GPU catalog")
    if not _STACK_NAME.match(request.environment_name):
        raise GateError(
            f"--environment {request.environment_name!r}: use lowercase letters, digits and '-'"
        )
    if request.zone not in catalog.zone_sovereignty():
        raise GateError(f"zone {request.zone!r} has no sovereign flag in policies/data/zones.yaml")


def used_cidrs(project_dir: Path, *, besides: Path | None = None) -> list[ipaddress.IPv4Network]:
    """The VPC blocks the project's stack files declare (a file that cannot be read is
    skipped: its own validation reports it)."""
    blocks = []
    for path in sorted((project_dir / "stacks").glob("Pulumi.*.yaml")):
        if besides is not None and path.resolve() == besides.resolve():
            continue
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
            cidr = document["config"]["llm-serving:network"]["cidr"]
            blocks.append(ipaddress.IPv4Network(cidr))
        except (OSError, yaml.YAMLError, TypeError, KeyError, ValueError):
            continue
    return blocks


def free_cidr(used: list[ipaddress.IPv4Network]) -> str:
    """The first /16 of 10.0.0.0/8 from 10.60.0.0/16 on that overlaps none of ``used``."""
    blocks = list(_CIDR_POOL.subnets(new_prefix=16))
    for block in blocks[_FIRST_CIDR:] + blocks[:_FIRST_CIDR]:
        if not any(block.overlaps(other) for other in used):
            return str(block)
    raise GateError("every /16 of 10.0.0.0/8 is used by a stack: set network.cidr by hand")


def write_stack(request: NewStack, project_dir: Path, *, force: bool = False) -> Path:
    """Write stacks/Pulumi.NAME.yaml, then read it back through the config validator."""
    _validate(request)
    path = stack_file(request.name, project_dir)
    if path.exists() and not force:
        raise GateError(f"{path} already exists (use --force to overwrite)")
    floor = catalog.replica_floor(request.availability)
    instance = catalog.gpu_instances()[request.instance_type]
    pool_min = floor
    pool_max = floor * 2
    price = catalog.hourly_price(request.region, request.instance_type)
    hours = catalog.hours_per_month()
    monthly = (price or 0.0) * pool_max * hours
    budget = _budget(monthly)
    text = (
        _environment()
        .get_template("stack/Pulumi.stack.yaml.j2")
        .render(
            name=request.name,
            zone=request.zone,
            region=request.region,
            environment=request.environment_name,
            sovereign=catalog.zone_sovereignty()[request.zone],
            availability=request.availability,
            air_gapped=request.air_gapped,
            cidr=free_cidr(used_cidrs(project_dir, besides=path)),
            kubernetes_version=request.kubernetes_version,
            account=request.account,
            pool_name=instance.gpu.lower().replace("-", ""),
            instance_type=request.instance_type,
            pool_min=pool_min,
            pool_max=pool_max,
            model_name="llama-8b",
            served_model_name="meta-llama/Llama-3.1-8B-Instruct",
            model_image=versions.image("vllm").reference,
            image_digest=PLACEHOLDER_DIGEST,
            replicas_min=floor,
            replicas_max=pool_max,
            owner=request.owner,
            cost_center=request.cost_center,
            cost_center_is_placeholder=request.cost_center == PLACEHOLDER_COST_CENTER,
            classification=request.classification,
            budget=budget,
        )
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    try:
        spec = load_stack(request.name, project_dir)
    except ConfigError:
        path.unlink()
        raise
    if (project_dir / "__main__.py").is_file():
        # The budget covers the whole cost at maximum scale (COST-001), not the GPUs only:
        # run the new stack's program offline once and price what it declares.
        from servegate.cost import estimate
        from servegate.run import offline_inventory

        whole = _budget(estimate(offline_inventory(spec, project_dir).inventory).max_usd)
        path.write_text(_BUDGET_LINE.sub(rf"\g<1>{whole}", text, count=1), encoding="utf-8")
    return path


# The budget line the stack template writes (servegate/templates/stack/Pulumi.stack.yaml.j2).
_BUDGET_LINE = re.compile(r"(?m)^(\s*monthlyUsd: )\d+$")


def _budget(monthly_usd: float) -> int:
    """A round budget with a quarter of headroom over the estimate, at least 1,000 USD."""
    return max(1000, int(math.ceil(monthly_usd * 1.25 / 1000.0)) * 1000)
