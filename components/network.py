"""SovereignNetwork: the stack's VPC, private by default, with AWS reached through endpoints."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from pydantic.alias_generators import to_camel

from components import catalog, iam
from components.audit import log_retention_days
from components.config import NetworkSpec, StackSpec

# AWS services nodes and add-ons reach through interface endpoints, so a cluster without
# internet egress still works (EKS private-cluster requirements):
INTERFACE_ENDPOINT_SERVICES = (
    "ec2",  # VPC CNI (ENIs, IPs), EBS CSI driver, node bootstrap
    "ecr.api",  # image pull authorization
    "ecr.dkr",  # image manifests (layers come through the S3 gateway endpoint)
    "sts",  # IAM roles for service accounts (AssumeRoleWithWebIdentity)
    "eks-auth",  # EKS Pod Identity (AssumeRoleForPodIdentity)
    "eks",  # EKS API from inside the VPC (nodes, operators)
    "logs",  # CloudWatch Logs agents
    "elasticloadbalancing",  # AWS Load Balancer Controller (the gateway's NLB)
    "autoscaling",  # cluster autoscaling of node groups
)
TIER_TAG = "servegate.io/tier"
# The interface endpoint service of Amazon Bedrock's runtime API (com.amazonaws.<region>.<this>).
PRIVATELINK_SERVICE = "bedrock-runtime"
# Network Firewall rule group capacity: a domain list uses one unit per domain and protocol.
FIREWALL_RULE_CAPACITY = 100


@dataclass(frozen=True)
class SovereignNetworkArgs:
    """Inputs of :class:`SovereignNetwork`."""

    region: str
    """The stack's region: its availability zones and the endpoints' service names."""
    network: NetworkSpec
    """The VPC block and how many zones it spans."""
    air_gapped: bool
    """No NAT and no route to the internet."""
    internet_facing_gateway: bool
    """The gateway's load balancer is public, so public subnets are needed."""
    flow_log_retention_days: int
    """Retention of the flow logs, a value CloudWatch Logs accepts."""
    privatelink_services: tuple[str, ...] = ()
    """More interface endpoints (e.g. ``bedrock-runtime``): the privatelink external backends."""
    egress_allowlist: tuple[str, ...] = ()
    """Hostnames internet backends (and an OIDC issuer) are reached at: when set, the private
    subnets reach the internet only through an AWS Network Firewall allowing TLS/HTTP to
    exactly these (``StackSpec.egress_allowlist``)."""

    @classmethod
    def of(cls, spec: StackSpec) -> SovereignNetworkArgs:
        """The parts of a validated stack the network reads."""
        return cls(
            region=spec.region,
            network=spec.network,
            air_gapped=spec.residency.air_gapped,
            internet_facing_gateway=spec.gateway.internet_facing,
            flow_log_retention_days=log_retention_days(spec.audit),
            privatelink_services=tuple(
                sorted(
                    {
                        PRIVATELINK_SERVICE
                        for b in spec.external_backends
                        if b.connectivity == "privatelink"
                    }
                )
            ),
            egress_allowlist=spec.egress_allowlist(),
        )


def _field(value: Any, name: str) -> Any:
    """A field of an output object; Output.all hands nested outputs over as plain dicts with
    camelCase keys."""
    if isinstance(value, dict):
        return value.get(to_camel(name), value.get(name))
    return getattr(value, name)


@dataclass(frozen=True)
class SubnetPlan:
    """The subnet blocks carved from the VPC CIDR, one per availability zone."""

    private: list[str]
    public: list[str]
    firewall: list[str]
    endpoints: list[str]


def plan_subnets(cidr: str, az_count: int) -> SubnetPlan:
    """Split a VPC block: private subnets take a quarter each, public ones share the last.

    Nodes and pods live in the private subnets (the VPC CNI gives every pod a VPC IP),
    so they get the large blocks; public subnets only hold NAT gateways and load
    balancers. The split is the same whether or not public subnets are created, so
    turning them on later never renumbers the private ones.
    """
    quarters = list(ipaddress.IPv4Network(cidr).subnets(prefixlen_diff=2))
    public_blocks = list(quarters[3].subnets(prefixlen_diff=2))
    # The last public piece (at most three zones leave it unused) holds small subnets of
    # their own per zone: the egress firewall's endpoints, and the interface endpoints of
    # external model backends (so the gateway's egress names them and nothing else).
    spare = list(public_blocks[3].subnets(prefixlen_diff=3))
    return SubnetPlan(
        private=[str(block) for block in quarters[:az_count]],
        public=[str(block) for block in public_blocks[:az_count]],
        firewall=[str(block) for block in spare[:az_count]],
        endpoints=[str(block) for block in spare[4 : 4 + az_count]],
    )


class SovereignNetwork(pulumi.ComponentResource):
    """A VPC whose nodes live in private subnets and reach AWS only through VPC endpoints.

    Public subnets and an internet gateway exist only when something needs them: an
    internet-facing gateway load balancer, or NAT egress (stacks that are not
    air-gapped). Air-gapped stacks get neither a NAT gateway nor a route to the
    internet. All traffic is recorded by VPC flow logs in a KMS-encrypted log group.
    """

    def __init__(
        self, name: str, args: SovereignNetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servegate:index:SovereignNetwork", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        zones = catalog.availability_zones()[args.region][: args.network.az_count]
        blocks = plan_subnets(args.network.cidr, len(zones))
        egress = not args.air_gapped
        needs_public = egress or args.internet_facing_gateway

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.network.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,  # interface endpoints' private DNS needs both
            tags={"Name": f"{name}-vpc"},
            opts=child,
        )
        self.vpc_id: pulumi.Output[str] = self.vpc.id

        self.private_subnets = self._tier_subnets(
            name, "private", zones, blocks.private, child, {"kubernetes.io/role/internal-elb": "1"}
        )
        # Only NAT gateways and load balancers live in the public subnets; both get their own
        # addresses, so nothing is handed a public IP by default.
        self.public_subnets = (
            self._tier_subnets(
                name, "public", zones, blocks.public, child, {"kubernetes.io/role/elb": "1"}
            )
            if needs_public
            else []
        )

        self.internet_gateway: aws.ec2.InternetGateway | None = None
        self.public_route_table: aws.ec2.RouteTable | None = None
        if needs_public:
            # NAT gateways route through the internet gateway, so egress needs it too.
            self._public_routes(name, zones, child)
        nat_gateways = self._nat_gateways(name, zones, child) if egress else []
        self.firewall: aws.networkfirewall.Firewall | None = None
        firewall_endpoints: list[pulumi.Output[str]] = []
        if egress and args.egress_allowlist:
            firewall_endpoints = self._egress_firewall(
                name, args, zones, blocks, nat_gateways, child
            )
        private_route_tables = self._private_routes(
            name, zones, nat_gateways, firewall_endpoints, child
        )
        self.backend_endpoint_cidrs: list[str] = (
            list(blocks.endpoints) if args.privatelink_services else []
        )
        self._endpoints(name, args, zones, blocks, private_route_tables, child)
        self.flow_log_group = self._flow_logs(name, args, child)

        self.private_subnet_ids: pulumi.Output[list[str]] = pulumi.Output.all(
            *[subnet.id for subnet in self.private_subnets]
        )
        self.public_subnet_ids: pulumi.Output[list[str]] = pulumi.Output.all(
            *[subnet.id for subnet in self.public_subnets]
        )
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "private_subnet_ids": self.private_subnet_ids,
                "public_subnet_ids": self.public_subnet_ids,
                "flow_log_group": self.flow_log_group.name,
            }
        )

    def _public_routes(self, name: str, zones: list[str], child: pulumi.ResourceOptions) -> None:
        self.internet_gateway = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, tags={"Name": f"{name}-igw"}, opts=child
        )
        table = aws.ec2.RouteTable(
            f"{name}-public", vpc_id=self.vpc.id, tags={"Name": f"{name}-public"}, opts=child
        )
        self.public_route_table = table
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=table.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=self.internet_gateway.id,
            opts=child,
        )
        for zone, subnet in zip(zones, self.public_subnets, strict=True):
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{zone}", subnet_id=subnet.id, route_table_id=table.id, opts=child
            )

    def _nat_gateways(
        self, name: str, zones: list[str], child: pulumi.ResourceOptions
    ) -> list[aws.ec2.NatGateway]:
        # One NAT gateway per zone: losing a zone must not cut the other zones' egress.
        assert self.internet_gateway is not None  # egress always has public routes
        after_igw = pulumi.ResourceOptions.merge(
            child, pulumi.ResourceOptions(depends_on=[self.internet_gateway])
        )
        gateways = []
        for zone, subnet in zip(zones, self.public_subnets, strict=True):
            address = aws.ec2.Eip(
                f"{name}-nat-ip-{zone}",
                domain="vpc",
                tags={"Name": f"{name}-nat-{zone}"},
                opts=child,
            )
            gateways.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{zone}",
                    allocation_id=address.id,
                    subnet_id=subnet.id,
                    connectivity_type="public",
                    tags={"Name": f"{name}-nat-{zone}"},
                    opts=after_igw,
                )
            )
        return gateways

    def _private_routes(
        self,
        name: str,
        zones: list[str],
        nat_gateways: list[aws.ec2.NatGateway],
        firewall_endpoints: Sequence[pulumi.Output[str]],
        child: pulumi.ResourceOptions,
    ) -> list[aws.ec2.RouteTable]:
        tables = []
        for index, (zone, subnet) in enumerate(zip(zones, self.private_subnets, strict=True)):
            table = aws.ec2.RouteTable(
                f"{name}-private-{zone}",
                vpc_id=self.vpc.id,
                tags={"Name": f"{name}-private-{zone}"},
                opts=child,
            )
            if firewall_endpoints:
                # Through the egress firewall's endpoint in the zone, then its NAT gateway.
                aws.ec2.Route(
                    f"{name}-private-{zone}-default",
                    route_table_id=table.id,
                    destination_cidr_block="0.0.0.0/0",
                    vpc_endpoint_id=firewall_endpoints[index],
                    opts=child,
                )
            elif nat_gateways:
                aws.ec2.Route(
                    f"{name}-private-{zone}-default",
                    route_table_id=table.id,
                    destination_cidr_block="0.0.0.0/0",
                    nat_gateway_id=nat_gateways[index].id,
                    opts=child,
                )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{zone}", subnet_id=subnet.id, route_table_id=table.id, opts=child
            )
            tables.append(table)
        return tables

    def _endpoints(
        self,
        name: str,
        args: SovereignNetworkArgs,
        zones: list[str],
        blocks: SubnetPlan,
        private_route_tables: list[aws.ec2.RouteTable],
        child: pulumi.ResourceOptions,
    ) -> None:
        # Image layers and model weights come from S3: a gateway endpoint keeps that
        # traffic (the bulk of it) off NAT and inside the region.
        s3 = aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[table.id for table in private_route_tables],
            tags={"Name": f"{name}-s3"},
            opts=child,
        )
        # The CIDRs of the region's S3 prefix list, which EC2 reports on a gateway endpoint:
        # NetworkPolicies cannot name a prefix list, so weight downloads are allowed to these.
        self.s3_cidr_blocks: pulumi.Output[Sequence[str]] = s3.cidr_blocks
        self.endpoint_security_group = aws.ec2.SecurityGroup(
            f"{name}-endpoints",
            vpc_id=self.vpc.id,
            description="HTTPS from the VPC to AWS service interface endpoints",
            tags={"Name": f"{name}-endpoints"},
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-endpoints-https",
            security_group_id=self.endpoint_security_group.id,
            cidr_ipv4=args.network.cidr,
            from_port=443,
            to_port=443,
            ip_protocol="tcp",
            description="HTTPS from inside the VPC",
            opts=child,
        )
        private_ids = [subnet.id for subnet in self.private_subnets]
        backend_ids = [
            subnet.id
            for subnet in (
                self._tier_subnets(
                    name, "backend-endpoints", zones, self.backend_endpoint_cidrs, child
                )
                if self.backend_endpoint_cidrs
                else []
            )
        ]
        services = [(s, private_ids) for s in INTERFACE_ENDPOINT_SERVICES]
        services += [(s, backend_ids) for s in args.privatelink_services]
        for service, subnet_ids in services:
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{args.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=subnet_ids,
                security_group_ids=[self.endpoint_security_group.id],
                tags={"Name": f"{name}-{service}"},
                opts=child,
            )

    def _tier_subnets(
        self,
        name: str,
        tier: str,
        zones: Sequence[str],
        blocks: Sequence[str],
        child: pulumi.ResourceOptions,
        tags: Mapping[str, str] | None = None,
    ) -> list[aws.ec2.Subnet]:
        """One subnet of ``tier`` per zone, ``{name}-{tier}-{zone}``, handing out no public IP."""
        return [
            aws.ec2.Subnet(
                f"{name}-{tier}-{zone}",
                vpc_id=self.vpc.id,
                cidr_block=block,
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags={"Name": f"{name}-{tier}-{zone}", TIER_TAG: tier, **(tags or {})},
                opts=child,
            )
            for zone, block in zip(zones, blocks, strict=True)
        ]

    def _egress_firewall(
        self,
        name: str,
        args: SovereignNetworkArgs,
        zones: list[str],
        blocks: SubnetPlan,
        nat_gateways: list[aws.ec2.NatGateway],
        child: pulumi.ResourceOptions,
    ) -> list[pulumi.Output[str]]:
        """AWS Network Firewall between the private subnets and their NAT gateways: stateful,
        strict order, TLS (SNI) and HTTP (Host) to exactly the allow-listed hostnames, every
        other established flow dropped. Returns each zone's firewall endpoint id."""
        rules = aws.networkfirewall.RuleGroup(
            f"{name}-egress-allowlist",
            name=f"{name}-egress-allowlist",
            capacity=FIREWALL_RULE_CAPACITY,
            type="STATEFUL",
            description="Hostnames of the stack's internet model backends",
            rule_group={
                "rules_source": {
                    "rules_source_list": {
                        "generated_rules_type": "ALLOWLIST",
                        "target_types": ["TLS_SNI", "HTTP_HOST"],
                        "targets": list(args.egress_allowlist),
                    }
                },
                "stateful_rule_options": {"rule_order": "STRICT_ORDER"},
            },
            opts=child,
        )
        policy = aws.networkfirewall.FirewallPolicy(
            f"{name}-egress",
            name=f"{name}-egress",
            firewall_policy={
                "stateless_default_actions": ["aws:forward_to_sfe"],
                "stateless_fragment_default_actions": ["aws:forward_to_sfe"],
                "stateful_engine_options": {"rule_order": "STRICT_ORDER"},
                "stateful_default_actions": ["aws:drop_established", "aws:alert_established"],
                "stateful_rule_group_references": [{"resource_arn": rules.arn, "priority": 1}],
            },
            opts=child,
        )
        subnets = self._tier_subnets(name, "firewall", zones, blocks.firewall, child)
        self.firewall = aws.networkfirewall.Firewall(
            f"{name}-egress",
            name=f"{name}-egress",
            vpc_id=self.vpc.id,
            firewall_policy_arn=policy.arn,
            subnet_mappings=[{"subnet_id": subnet.id} for subnet in subnets],
            delete_protection=True,
            opts=child,
        )
        statuses = self.firewall.firewall_statuses

        def endpoint(subnet: aws.ec2.Subnet) -> pulumi.Output[str]:
            """The firewall's endpoint in ``subnet`` (one per subnet mapping)."""

            def in_subnet(values: list[Any]) -> str:
                status, subnet_id = values
                return str(
                    next(
                        _field(attachment, "endpoint_id")
                        for state in _field(status[0], "sync_states") or []
                        for attachment in _field(state, "attachments") or []
                        if _field(attachment, "subnet_id") == subnet_id
                    )
                )

            return pulumi.Output.all(statuses, subnet.id).apply(in_subnet)

        endpoints = [endpoint(subnet) for subnet in subnets]
        for index, (zone, subnet) in enumerate(zip(zones, subnets, strict=True)):
            table = aws.ec2.RouteTable(
                f"{name}-firewall-{zone}",
                vpc_id=self.vpc.id,
                tags={"Name": f"{name}-firewall-{zone}"},
                opts=child,
            )
            aws.ec2.Route(
                f"{name}-firewall-{zone}-default",
                route_table_id=table.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat_gateways[index].id,
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-firewall-{zone}", subnet_id=subnet.id, route_table_id=table.id, opts=child
            )
        # Replies come back through the same zone's firewall endpoint (symmetric routing).
        assert self.public_route_table is not None  # egress always has public routes
        for index, (zone, block) in enumerate(zip(zones, blocks.private, strict=True)):
            aws.ec2.Route(
                f"{name}-public-to-private-{zone}",
                route_table_id=self.public_route_table.id,
                destination_cidr_block=block,
                vpc_endpoint_id=endpoints[index],
                opts=child,
            )
        return endpoints

    def _flow_logs(
        self, name: str, args: SovereignNetworkArgs, child: pulumi.ResourceOptions
    ) -> aws.cloudwatch.LogGroup:
        role = aws.iam.Role(
            f"{name}-flow-logs",
            assume_role_policy=iam.service_trust("vpc-flow-logs.amazonaws.com"),
            description="VPC flow logs delivery to CloudWatch Logs",
            opts=child,
        )
        self.kms_key = aws.kms.Key(
            f"{name}-flow-logs",
            description=f"VPC flow logs of {name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=role.arn.apply(
                lambda arn: iam.document(
                    [
                        iam.key_admin_statement(args.region, iam.account_of(arn)),
                        iam.logs_key_statement(args.region, iam.account_of(arn)),
                    ]
                )
            ),
            opts=child,
        )
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/servegate/{name}/vpc-flow-logs",
            retention_in_days=args.flow_log_retention_days,
            kms_key_id=self.kms_key.arn,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=role.id,
            policy=group.arn.apply(
                lambda arn: iam.document(
                    [
                        {
                            "Effect": "Allow",
                            "Action": [
                                "logs:CreateLogStream",
                                "logs:PutLogEvents",
                                "logs:DescribeLogGroups",
                                "logs:DescribeLogStreams",
                            ],
                            "Resource": [arn, f"{arn}:*"],
                        }
                    ]
                )
            ),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags={"Name": f"{name}-flow-log"},
            opts=child,
        )
        return group
