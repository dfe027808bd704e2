"""The stack's monthly cost as a min–max estimate, from the inventory and compliance's prices.

Resources are counted by what they are in the normalized inventory, so the estimate of a
`pulumi preview` document from any program is the one of our own offline run:

- GPU and system nodes: ``aws:eks/nodeGroup:NodeGroup`` (GPU when labelled so or on an NVIDIA
  AMI), on-demand price of its instance types × ``scalingConfig.minSize`` (min) and
  ``maxSize`` (max);
- the EKS control plane: ``aws:eks/cluster:Cluster``, standard or extended support by its
  ``version`` on the evaluation date (``input.evaluation.as_of``) in
  ``policies/data/eks_versions.yaml``; a cluster whose tier is unknown costs standard at the
  minimum and extended at the maximum, one with ``upgradePolicy.supportType: STANDARD`` is
  upgraded by AWS instead of entering extended support;
- NAT gateways: each ``aws:ec2/natGateway:NatGateway``;
- interface endpoints: each ``aws:ec2/vpcEndpoint:VpcEndpoint`` of type ``Interface`` × its
  subnets (one per Availability Zone);
- load balancers: each Kubernetes Service of type ``LoadBalancer``, each Gateway an Envoy
  Gateway class serves through a ``LoadBalancer`` Envoy Service (the default), each
  ``aws:lb``/``aws:alb`` load balancer;
- log storage, a stated assumption: GB ingested per month into each CloudWatch log group,
  stored for its retention, and GB written into each S3 bucket, kept a stated number of months.

Prices and assumptions: ``policies/data/prices.yaml``. The same model is written in Rego
(``policies/lib/cost.rego``) for COST-001 and COST-002; ``tests/test_cost_parity.py`` holds
the two to the same cents on every shipped stack. Amounts are whole cents, each line item
rounded half up, so both languages add the same integers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any, TypeGuard

from components import catalog, yaml_data
from servegate.plan.ops import DELETING_OPS
from servegate.plan.unknowns import UNKNOWN

GPU_NODES = "gpu_nodes"
SYSTEM_NODES = "system_nodes"
EKS_CONTROL_PLANE = "eks_control_plane"
NAT_GATEWAYS = "nat_gateways"
INTERFACE_ENDPOINTS = "interface_endpoints"
LOAD_BALANCERS = "load_balancers"
LOG_STORAGE = "log_storage"
# Every kind the estimate lists, in the order reports show them.
KINDS = (
    GPU_NODES,
    SYSTEM_NODES,
    EKS_CONTROL_PLANE,
    NAT_GATEWAYS,
    INTERFACE_ENDPOINTS,
    LOAD_BALANCERS,
    LOG_STORAGE,
)
KIND_TITLES = {
    GPU_NODES: "GPU nodes",
    SYSTEM_NODES: "system nodes",
    EKS_CONTROL_PLANE: "EKS control plane",
    NAT_GATEWAYS: "NAT gateways",
    INTERFACE_ENDPOINTS: "interface endpoints",
    LOAD_BALANCERS: "load balancers",
    LOG_STORAGE: "log storage",
}

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
CLUSTER = "aws:eks/cluster:Cluster"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
SERVICE = "kubernetes:core/v1:Service"
AWS_LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
GATEWAY_GROUP = "kubernetes:gateway.networking.k8s.io/"
ENVOY_PROXY_GROUP = "kubernetes:gateway.envoyproxy.io/"
ENVOY_GATEWAY_CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller"

# Price sections of prices.yaml, by the kind of resource they price.
SECTION_EC2 = "ec2_on_demand"
SECTION_EKS = "eks_control_plane"
SECTION_NAT = "nat_gateway"
SECTION_ENDPOINT = "interface_endpoint"
SECTION_LB = "load_balancer"
SECTION_LOGS = "cloudwatch_logs"
SECTION_S3 = "s3_storage"

# The price sections each kind reads (to say which of the prices used are unverified).
KIND_SECTIONS = {
    GPU_NODES: (SECTION_EC2,),
    SYSTEM_NODES: (SECTION_EC2,),
    EKS_CONTROL_PLANE: (SECTION_EKS,),
    NAT_GATEWAYS: (SECTION_NAT,),
    INTERFACE_ENDPOINTS: (SECTION_ENDPOINT,),
    LOAD_BALANCERS: (SECTION_LB,),
    LOG_STORAGE: (SECTION_LOGS, SECTION_S3),
}

TIER_STANDARD = "standard"
TIER_EXTENDED = "extended"


@dataclass(frozen=True)
class LineItem:
    """One priced resource: how many units at least and at most, and what they cost."""

    kind: str
    resource_urn: str
    name: str
    quantity_min: float
    quantity_max: float
    unit: str
    min_cents: int
    max_cents: int
    # What drives the amount, for the summary: "3-6 × g6.xlarge at 0.89 USD/h".
    basis: str


@dataclass(frozen=True)
class Unpriced:
    """A resource the price table cannot price: left out of the estimate (COST-002)."""

    kind: str
    resource_urn: str
    name: str
    region: str
    # The price the table lacks, e.g. "ec2_on_demand.regions.ca-central-1.g6e.16xlarge".
    missing: str


@dataclass(frozen=True)
class Undecided:
    """A resource whose count is unknown until apply (COST-001 fails closed on it)."""

    kind: str
    resource_urn: str
    path: str


@dataclass(frozen=True)
class KindTotal:
    kind: str
    min_cents: int
    max_cents: int


@dataclass(frozen=True)
class CostEstimate:
    currency: str
    hours_per_month: float
    items: tuple[LineItem, ...]
    unpriced: tuple[Unpriced, ...]
    undecided: tuple[Undecided, ...]
    as_of: str | None
    not_estimated: tuple[str, ...]
    # Price sections the estimate used that prices.yaml marks ``verified: false``.
    unverified: tuple[str, ...] = ()

    @property
    def by_kind(self) -> tuple[KindTotal, ...]:
        return tuple(
            KindTotal(
                kind,
                sum(i.min_cents for i in self.items if i.kind == kind),
                sum(i.max_cents for i in self.items if i.kind == kind),
            )
            for kind in KINDS
        )

    @property
    def min_cents(self) -> int:
        return sum(i.min_cents for i in self.items)

    @property
    def max_cents(self) -> int:
        return sum(i.max_cents for i in self.items)

    @property
    def min_usd(self) -> float:
        return self.min_cents / 100

    @property
    def max_usd(self) -> float:
        return self.max_cents / 100

    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "hours_per_month": self.hours_per_month,
            "as_of": self.as_of,
            "min_usd": self.min_usd,
            "max_usd": self.max_usd,
            "by_kind": {
                t.kind: {"min_usd": t.min_cents / 100, "max_usd": t.max_cents / 100}
                for t in self.by_kind
            },
            "items": [asdict(i) for i in self.items],
            "unpriced": [asdict(u) for u in self.unpriced],
            "undecided": [asdict(u) for u in self.undecided],
            "not_estimated": list(self.not_estimated),
            "unverified": list(self.unverified),
        }

    def parity(self) -> dict[str, Any]:
        """What the Rego estimate (``data.lib.cost.estimate``) must equal."""
        return {
            "min_cents": self.min_cents,
            "max_cents": self.max_cents,
            "by_kind": {t.kind: [t.min_cents, t.max_cents] for t in self.by_kind},
            "unpriced": sorted([u.resource_urn, u.kind, u.missing] for u in self.unpriced),
            "undecided": sorted([u.resource_urn, u.path] for u in self.undecided),
        }


def cents(amount: float) -> int:
    """Half up to whole cents, as the Rego side does with floor(x * 100 + 0.5)."""
    return math.floor(amount * 100 + 0.5)


def default_params() -> dict[str, Any]:
    """The policy data the estimate reads, as the gate hands it to Rego (data.params)."""
    params: dict[str, Any] = {"prices": catalog.prices()}
    versions = catalog.POLICY_DATA / "eks_versions.yaml"
    if versions.is_file():
        params["eks_versions"] = yaml_data.safe_load(versions.read_text(encoding="utf-8"))
    return params


def estimate(inventory: Mapping[str, Any], params: Mapping[str, Any] | None = None) -> CostEstimate:
    """The monthly cost of the inventory's future state, min (minimum scale) to max."""
    model = _Model(inventory, params if params is not None else default_params())
    return model.run()


def support_tier(versions: Mapping[str, Any] | None, version: Any, as_of: str | None) -> str | None:
    """``standard`` or ``extended`` for an EKS version on a date, None when it cannot be told.

    ``versions`` is policies/data/eks_versions.yaml: ``versions.<minor>.endOfStandardSupport``
    (ISO date). Dates compare as ISO strings, as the Rego side does.
    """
    if not versions or not isinstance(version, str) or not as_of:
        return None
    row = (versions.get("versions") or {}).get(version)
    if not isinstance(row, Mapping):
        return None
    end = row.get("endOfStandardSupport")
    if end is None:
        return None
    return TIER_STANDARD if as_of < str(end) else TIER_EXTENDED


class _Model:
    def __init__(self, inventory: Mapping[str, Any], params: Mapping[str, Any]) -> None:
        self.inventory = inventory
        self.prices: Mapping[str, Any] = params["prices"]
        self.versions: Mapping[str, Any] | None = params.get("eks_versions")
        self.hours = float(self.prices["hours_per_month"])
        self.assume: Mapping[str, Any] = self.prices["assumptions"]
        stack = inventory.get("stack", {})
        self.stack_region = str(stack.get("region") or "")
        as_of = (inventory.get("evaluation") or {}).get("as_of")
        self.as_of = str(as_of) if as_of else None
        self.items: list[LineItem] = []
        self.unpriced: list[Unpriced] = []
        self.undecided: list[Undecided] = []

    def run(self) -> CostEstimate:
        self._node_groups()
        self._clusters()
        self._nat_gateways()
        self._interface_endpoints()
        self._load_balancers()
        self._log_groups()
        self._buckets()
        used = {section for item in self.items for section in KIND_SECTIONS[item.kind]}
        return CostEstimate(
            currency="USD",
            hours_per_month=self.hours,
            items=tuple(self.items),
            unpriced=tuple(self.unpriced),
            undecided=tuple(self.undecided),
            as_of=self.as_of,
            not_estimated=tuple(self.prices.get("not_estimated", [])),
            unverified=tuple(s for s in sorted(used) if self.prices[s].get("verified") is not True),
        )

    # -- lookups -----------------------------------------------------------------------------

    def resources(self, type_token: str) -> Iterator[dict[str, Any]]:
        for index in self.inventory.get("by_type", {}).get(type_token, []):
            res = self.inventory["resources"][index]
            if res.get("op") not in DELETING_OPS:
                yield res

    def resources_of_kind(self, group_prefix: str, kind: str) -> Iterator[dict[str, Any]]:
        """Kubernetes resources of one group and kind, whatever the API version."""
        for type_token in sorted(self.inventory.get("by_type", {})):
            if type_token.startswith(group_prefix) and type_token.endswith(f":{kind}"):
                yield from self.resources(type_token)

    def region(self, res: Mapping[str, Any]) -> str:
        region = res.get("region")
        if isinstance(region, str) and region and region != UNKNOWN:
            return region
        return self.stack_region

    def price(self, section: str, region: str, key: str) -> float | None:
        value = self.prices[section]["regions"].get(region, {}).get(key)
        return None if value is None else float(value)

    def add(
        self,
        kind: str,
        res: Mapping[str, Any],
        qmin: float,
        qmax: float,
        unit: str,
        usd_min: float,
        usd_max: float,
        basis: str,
    ) -> None:
        self.items.append(
            LineItem(
                kind,
                res["urn"],
                str(res.get("name", "")),
                qmin,
                qmax,
                unit,
                cents(usd_min),
                cents(usd_max),
                basis,
            )
        )

    def missing(self, kind: str, res: Mapping[str, Any], region: str, path: str) -> None:
        self.unpriced.append(Unpriced(kind, res["urn"], str(res.get("name", "")), region, path))

    def priced(
        self, kind: str, res: Mapping[str, Any], section: str, *keys: str
    ) -> tuple[float, ...] | None:
        """The prices ``keys`` of ``section`` in the resource's region, or None after recording
        the resource as unpriced (at the key's path, or the region's when several are needed)."""
        region = self.region(res)
        prices = [self.price(section, region, key) for key in keys]
        if any(price is None for price in prices):
            path = f"{section}.regions.{region}" + (f".{keys[0]}" if len(keys) == 1 else "")
            self.missing(kind, res, region, path)
            return None
        return tuple(price for price in prices if price is not None)

    # -- kinds -------------------------------------------------------------------------------

    def _node_groups(self) -> None:
        for res in self.resources(NODE_GROUP):
            props = res.get("props", {})
            kind = GPU_NODES if _is_gpu_group(props) else SYSTEM_NODES
            scaling = props.get("scalingConfig") or {}
            bounds = [scaling.get("minSize"), scaling.get("maxSize")]
            for key, value in zip(("minSize", "maxSize"), bounds, strict=True):
                if not _is_number(value):
                    self.undecided.append(Undecided(kind, res["urn"], f"scalingConfig.{key}"))
            sizes = [float(v) for v in bounds if _is_number(v)]
            region = self.region(res)
            listed = props.get("instanceTypes")
            types = [t for t in listed if isinstance(t, str)] if isinstance(listed, list) else []
            priced = {t: self.price(SECTION_EC2, region, t) for t in types}
            gaps = sorted({t for t, p in priced.items() if p is None}) or (
                [] if types else ["(none)"]
            )
            for gap in gaps:
                self.missing(kind, res, region, f"{SECTION_EC2}.regions.{region}.{gap}")
            if gaps or len(sizes) < len(bounds):
                continue
            low, high = sizes
            cheapest = min(p for p in priced.values() if p is not None)
            dearest = max(p for p in priced.values() if p is not None)
            self.add(
                kind,
                res,
                low,
                high,
                "node",
                cheapest * low * self.hours,
                dearest * high * self.hours,
                f"{props.get('nodeGroupName', res.get('name'))}: {low:g}-{high:g} × "
                f"{'/'.join(types)} at {_rate(cheapest, dearest)} USD/h",
            )

    def _clusters(self) -> None:
        for res in self.resources(CLUSTER):
            props = res.get("props", {})
            region = self.region(res)
            standard = self.price(SECTION_EKS, region, TIER_STANDARD)
            extended = self.price(SECTION_EKS, region, TIER_EXTENDED)
            if standard is None or extended is None:
                self.missing(EKS_CONTROL_PLANE, res, region, f"{SECTION_EKS}.regions.{region}")
                continue
            version = props.get("version")
            policy = (props.get("upgradePolicy") or {}).get("supportType")
            tier = support_tier(self.versions, version, self.as_of)
            if policy == "STANDARD":
                # AWS upgrades such a cluster at the end of standard support.
                low, high, why = standard, standard, "standard support (upgradePolicy STANDARD)"
            elif tier == TIER_STANDARD:
                low, high, why = standard, standard, f"{version} in standard support"
            elif tier == TIER_EXTENDED:
                low, high, why = extended, extended, f"{version} in extended support"
            else:
                low, high, why = standard, extended, f"{version}, support tier not known"
            on = f" on {self.as_of}" if self.as_of else ""
            self.add(
                EKS_CONTROL_PLANE,
                res,
                1,
                1,
                "cluster",
                low * self.hours,
                high * self.hours,
                f"{why}{on}, {_rate(low, high)} USD/h",
            )

    def _nat_gateways(self) -> None:
        for res in self.resources(NAT_GATEWAY):
            found = self.priced(NAT_GATEWAYS, res, SECTION_NAT, "hourly")
            if found is None:
                continue
            (hourly,) = found
            usd = hourly * self.hours
            self.add(NAT_GATEWAYS, res, 1, 1, "gateway", usd, usd, f"{hourly:g} USD/h")

    def _interface_endpoints(self) -> None:
        for res in self.resources(VPC_ENDPOINT):
            props = res.get("props", {})
            if props.get("vpcEndpointType") != "Interface":
                continue
            zones = _subnet_count(res)
            if zones is None:
                self.undecided.append(Undecided(INTERFACE_ENDPOINTS, res["urn"], "subnetIds"))
                continue
            found = self.priced(INTERFACE_ENDPOINTS, res, SECTION_ENDPOINT, "hourly_per_az")
            if found is None:
                continue
            (hourly,) = found
            usd = hourly * zones * self.hours
            self.add(
                INTERFACE_ENDPOINTS,
                res,
                zones,
                zones,
                "endpoint-AZ",
                usd,
                usd,
                f"{zones} AZs at {hourly:g} USD/h each",
            )

    def _load_balancers(self) -> None:
        for res in self.resources(SERVICE):
            if (res.get("props", {}).get("spec") or {}).get("type") == "LoadBalancer":
                self._load_balancer(res, "Service of type LoadBalancer")
        for res in self._envoy_gateways_with_load_balancer():
            self._load_balancer(res, "Envoy Gateway's LoadBalancer Service")
        for type_token in AWS_LOAD_BALANCERS:
            for res in self.resources(type_token):
                self._load_balancer(res, str(res["props"].get("loadBalancerType", "load balancer")))

    def _load_balancer(self, res: Mapping[str, Any], what: str) -> None:
        found = self.priced(LOAD_BALANCERS, res, SECTION_LB, "hourly", "lcu_hourly")
        if found is None:
            return
        hourly, lcu = found
        lcus = self.assume["load_balancer_lcu"]
        low, high = float(lcus["min"]), float(lcus["max"])
        self.add(
            LOAD_BALANCERS,
            res,
            1,
            1,
            "load balancer",
            (hourly + lcu * low) * self.hours,
            (hourly + lcu * high) * self.hours,
            f"{what}: {hourly:g} USD/h + {low:g}-{high:g} LCU at {lcu:g} USD/h",
        )

    def _envoy_gateways_with_load_balancer(self) -> Iterator[dict[str, Any]]:
        """Gateways of an Envoy Gateway class whose EnvoyProxy keeps the LoadBalancer Service."""
        classes = {
            _meta(c, "name"): c.get("props", {}).get("spec") or {}
            for c in self.resources_of_kind(GATEWAY_GROUP, "GatewayClass")
        }
        proxies = {
            (_meta(p, "namespace"), _meta(p, "name")): p.get("props", {}).get("spec") or {}
            for p in self.resources_of_kind(ENVOY_PROXY_GROUP, "EnvoyProxy")
        }
        for gateway in self.resources_of_kind(GATEWAY_GROUP, "Gateway"):
            spec = gateway.get("props", {}).get("spec") or {}
            gateway_class = classes.get(spec.get("gatewayClassName"))
            if (
                gateway_class is None
                or gateway_class.get("controllerName") != ENVOY_GATEWAY_CONTROLLER
            ):
                continue
            ref = (spec.get("infrastructure") or {}).get("parametersRef")
            if isinstance(ref, Mapping) and ref.get("kind") == "EnvoyProxy":
                key = (_meta(gateway, "namespace"), ref.get("name"))
            else:
                ref = gateway_class.get("parametersRef") or {}
                key = (ref.get("namespace"), ref.get("name"))
            proxy = proxies.get(key, {})
            service = ((proxy.get("provider") or {}).get("kubernetes") or {}).get(
                "envoyService"
            ) or {}
            if service.get("type", "LoadBalancer") == "LoadBalancer":
                yield gateway

    def _log_groups(self) -> None:
        ingest = self.assume["log_group_ingest_gb_per_month"]
        low, high = float(ingest["min"]), float(ingest["max"])
        days_per_month = self.hours / 24
        for res in self.resources(LOG_GROUP):
            found = self.priced(
                LOG_STORAGE, res, SECTION_LOGS, "ingest_per_gb", "storage_per_gb_month"
            )
            if found is None:
                continue
            ingest_price, storage_price = found
            retention = res.get("props", {}).get("retentionInDays")
            if _is_number(retention) and retention > 0:
                months = retention / days_per_month
                kept = f"kept {retention} days"
            else:
                months = float(self.assume["log_group_unbounded_months"])
                kept = f"no retention, {months:g} months counted"
            self.add(
                LOG_STORAGE,
                res,
                low,
                high,
                "GB/month",
                low * ingest_price + low * months * storage_price,
                high * ingest_price + high * months * storage_price,
                f"CloudWatch {low:g}-{high:g} GB/month assumed, {kept}",
            )

    def _buckets(self) -> None:
        ingest = self.assume["bucket_ingest_gb_per_month"]
        low, high = float(ingest["min"]), float(ingest["max"])
        months = float(self.assume["bucket_stored_months"])
        for type_token in BUCKETS:
            for res in self.resources(type_token):
                found = self.priced(LOG_STORAGE, res, SECTION_S3, "storage_per_gb_month")
                if found is None:
                    continue
                (price,) = found
                self.add(
                    LOG_STORAGE,
                    res,
                    low,
                    high,
                    "GB/month",
                    low * months * price,
                    high * months * price,
                    f"S3 {low:g}-{high:g} GB/month assumed, kept {months:g} months",
                )


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_gpu_group(props: Mapping[str, Any]) -> bool:
    labels = props.get("labels") or {}
    return labels.get("servegate.io/role") == "gpu" or "NVIDIA" in str(props.get("amiType", ""))


def _subnet_count(res: Mapping[str, Any]) -> int | None:
    """Subnets of an interface endpoint (one ENI, so one billed AZ, each), None when unknown."""
    from_deps = len(res.get("deps", {}).get("subnetIds", []))
    subnets = res.get("props", {}).get("subnetIds")
    from_props = len(subnets) if isinstance(subnets, list) else 0
    if "subnetIds" in res.get("unknowns", []) or subnets == UNKNOWN:
        return from_deps or None
    return max(from_deps, from_props)


def _meta(res: Mapping[str, Any], key: str) -> Any:
    return (res.get("props", {}).get("metadata") or {}).get(key)


def _rate(low: float, high: float) -> str:
    return f"{low:g}" if low == high else f"{low:g}-{high:g}"


def format_usd(amount_cents: int) -> str:
    return f"{amount_cents / 100:,.2f}"
