"""Running a Pulumi program offline, under the Pulumi SDK's mock engine.

No Pulumi CLI, no cloud: the program runs in this process against a resource monitor that
records every registration (the official unit-test path). Mocked outputs echo the inputs,
plus the ids, ARNs and the few computed outputs the components read. Each run happens in a
copy of the current context, so the SDK's settings, config and root stack (all context
variables) are gone when it returns and runs do not see each other.
"""

from __future__ import annotations

import base64
import contextvars
import json
import logging
import secrets
import sysconfig
import threading
import time
import traceback
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi.runtime import config as pulumi_config
from pulumi.runtime import mocks, settings
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from components.config import ConfigError
from servegate.errors import GateError
from servegate.plan import urns
from servegate.plan.raw import RawResource
from servegate.plan.secrets import scrub, scrub_properties

MOCK_ACCOUNT = "123456789012"
_LOG = logging.getLogger("servegate.plan.offline")
# Frames under these are the SDK, providers or asyncio, not the program.
_LIBRARY_DIRS = tuple(
    {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")}
)


# True while the offline gate runs a program: the gate judges the whole run afterwards, so the
# program's own enforcement (servegate.enforcement) stands aside instead of judging twice.
_GATING_OFFLINE: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "servegate_gating_offline", default=False
)


def gating_offline() -> bool:
    """Whether the program runs under the offline gate (`servegate preview`, `inventory`)."""
    return _GATING_OFFLINE.get()


class OfflineRunError(GateError):
    """The program failed under the mock engine (not a config problem)."""


@dataclass(frozen=True)
class OfflineRun:
    """What an offline run declared: resources in URN order (op ``create``) and exports.

    Secrets are already ``"[secret]"`` in both.
    """

    project: str
    stack: str
    stack_urn: str
    resources: list[RawResource]
    outputs: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def run_offline(
    program: Callable[[], None],
    *,
    project: str,
    stack: str,
    config: Mapping[str, Any],
    secret_keys: Collection[str] = (),
) -> OfflineRun:
    """Run ``program`` as stack ``stack`` of ``project`` with stack ``config``.

    Keys in ``secret_keys`` reach the program as secret config, as the engine marks them.

    ``config`` maps full keys (``aws:region``, ``llm-serving:models``) to values; objects
    and lists reach the program JSON-encoded, as the engine passes them. A
    :class:`ConfigError` or :class:`GateError` from the program propagates unchanged; any
    other failure becomes one :class:`OfflineRunError` naming where in the program it was.
    """
    return contextvars.copy_context().run(
        _run, program, project, stack, dict(config), sorted(secret_keys)
    )


def _run(
    program: Callable[[], None],
    project: str,
    stack: str,
    config: dict[str, Any],
    secret_keys: list[str],
) -> OfflineRun:
    started = time.perf_counter()
    _GATING_OFFLINE.set(True)  # in the run's own copy of the context (run_offline)
    region = config.get("aws:region")
    monitor = _RecordingMonitor(_EchoMocks(region if isinstance(region, str) else None))
    _configure(monitor, project, stack)
    encoded = {key: v if isinstance(v, str) else json.dumps(v) for key, v in config.items()}
    pulumi_config.set_all_config(encoded, secret_keys)
    try:
        _sync_await(run_in_stack(program))
    except (ConfigError, GateError):
        raise
    except Exception as error:
        raise OfflineRunError(
            f"offline run of stack {stack!r} failed{_where(error)}: "
            f"{type(error).__name__}: {_one_line(error)}"
        ) from error
    return OfflineRun(
        project=project,
        stack=stack,
        stack_urn=urns.stack_urn(stack, project),
        resources=sorted(monitor.recorded, key=lambda resource: resource.urn),
        outputs=monitor.stack_outputs,
        seconds=time.perf_counter() - started,
    )


def _configure(monitor: _RecordingMonitor, project: str, stack: str) -> None:
    # What pulumi.runtime.set_mocks does, with every piece of per-run state fresh and
    # without creating the root stack early (run_in_stack creates it, as the real host).
    settings.ROOT.set(None)
    settings.configure(
        mocks.MockSettings(  # type: ignore[no-untyped-call]
            monitor=monitor,
            # run_in_stack asks the monitor for its features first thing.
            monitor_features=set(),
            engine=mocks.MockEngine(_LOG),
            project=project,
            stack=stack,
            dry_run=False,
            organization=None,
            callbacks=None,
            outputs=set(),
            lock=threading.Lock(),
            package_refs={},
            base_providers_by_ref={},
        )
    )


class _RecordingMonitor(mocks.MockMonitor):
    """A mock resource monitor that records registrations as raw resources."""

    def __init__(self, echo: _EchoMocks) -> None:
        super().__init__(echo)
        self.recorded: list[RawResource] = []
        self.stack_outputs: dict[str, Any] = {}
        self._lock = threading.Lock()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine leaves the root stack out of its children's type chain.
        if parent and urns.type_of(parent) == urns.ROOT_STACK_TYPE:
            parent = ""
        return super().make_urn(parent, type_, name)

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type != urns.ROOT_STACK_TYPE:
            self._record(request, request.object, response.urn, op="create")
        return response

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().ReadResource(request)  # type: ignore[no-untyped-call]
        self._record(request, request.properties, response.urn, op="read")
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        if urns.type_of(request.urn) == urns.ROOT_STACK_TYPE:
            self.stack_outputs = scrub(plain_struct(request.outputs))
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]

    def _record(self, request: Any, properties: Any, urn: str, *, op: str) -> None:
        # The raw protobuf struct still carries the secret wrappers the SDK sent
        # (deserializing it would push secretness up to whole objects).
        dependencies = getattr(request, "propertyDependencies", {})
        resource = RawResource(
            urn=urn,
            type=request.type,
            name=request.name,
            # Reads have no `custom` field: only custom resources can be read.
            custom=bool(getattr(request, "custom", True)),
            op=op,
            inputs=scrub_properties(request.type, plain_struct(properties)),
            parent=request.parent or None,
            provider=request.provider or None,
            deps={key: list(deps.urns) for key, deps in dependencies.items() if deps.urns},
        )
        with self._lock:
            self.recorded.append(resource)


# The PEM outputs the TLS provider computes (and the components read), per resource type.
_TLS_PEM_OUTPUTS: dict[str, tuple[tuple[str, str], ...]] = {
    "tls:index/privateKey:PrivateKey": (
        ("privateKeyPem", "PRIVATE KEY"),
        ("publicKeyPem", "PUBLIC KEY"),
    ),
    "tls:index/certRequest:CertRequest": (("certRequestPem", "CERTIFICATE REQUEST"),),
    "tls:index/selfSignedCert:SelfSignedCert": (("certPem", "CERTIFICATE"),),
    "tls:index/locallySignedCert:LocallySignedCert": (("certPem", "CERTIFICATE"),),
}


def mock_pem(label: str) -> str:
    """A PEM block of fresh random bytes: each run's made-up key or certificate differs, so
    none can be mistaken for, or reused as, real key material."""
    body = base64.b64encode(secrets.token_bytes(48)).decode()
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"


def add_reported_outputs(typ: str, name: str, outputs: dict[str, Any]) -> None:
    """Outputs AWS computes and the components read (endpoint CIDRs, firewall endpoints,
    Auto Scaling groups, TLS PEMs), added offline to ``outputs`` (the resource's inputs);
    the test suite's mocks share them."""
    if typ == "aws:ec2/vpcEndpoint:VpcEndpoint" and (outputs.get("vpcEndpointType") == "Gateway"):
        # EC2 reports the service's prefix-list CIDRs on a gateway endpoint; offline, one
        # documentation block (RFC 5737) outside every VPC stands in for them.
        outputs.setdefault("cidrBlocks", ["198.51.100.0/24"])
    if typ == "aws:networkfirewall/firewall:Firewall":
        # AWS reports one endpoint per subnet mapping once the firewall is created.
        outputs.setdefault(
            "firewallStatuses",
            [
                {
                    "syncStates": [
                        {"attachments": [{"subnetId": m["subnetId"], "endpointId": f"vpce-{i}"}]}
                        for i, m in enumerate(outputs.get("subnetMappings", []))
                    ]
                }
            ],
        )
    if typ == "aws:eks/nodeGroup:NodeGroup":
        outputs.setdefault("resources", [{"autoscalingGroups": [{"name": f"eks-{name}"}]}])
    for key, label in _TLS_PEM_OUTPUTS.get(typ, ()):
        outputs.setdefault(key, mock_pem(label))


class _EchoMocks(mocks.Mocks):
    """Outputs echo inputs; ids, ARNs and the outputs components read are made up."""

    def __init__(self, region: str | None) -> None:
        self._region = region or "us-east-1"

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        outputs = dict(args.inputs)
        if args.typ.startswith("aws:"):
            region = outputs.get("region", self._region)
            service = args.typ.split(":")[1].split("/")[0]
            outputs.setdefault("arn", f"arn:aws:{service}:{region}:{MOCK_ACCOUNT}:{args.name}")
        if args.typ == "aws:eks/cluster:Cluster":
            outputs.setdefault("endpoint", f"https://{args.name}.eks.example")
            outputs.setdefault("certificateAuthority", {"data": "bW9jay1jYQ=="})
            outputs.setdefault(
                "identities", [{"oidcs": [{"issuer": f"https://oidc.eks.example/id/{args.name}"}]}]
            )
        if args.typ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            outputs.setdefault("url", f"oidc.eks.example/id/{args.name}")
        add_reported_outputs(args.typ, args.name, outputs)
        return f"{args.name}-id", outputs

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return self._invoke_result(args.token, args.args.get("region") or self._region), []

    @staticmethod
    def _invoke_result(token: str, region: str) -> dict[str, Any]:
        if token == "aws:index/getRegion:getRegion":
            return {"id": region, "name": region, "region": region}
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": MOCK_ACCOUNT,
                "arn": f"arn:aws:iam::{MOCK_ACCOUNT}:user/offline",
                "id": MOCK_ACCOUNT,
                "userId": "OFFLINE",
            }
        if token == "aws:index/getPartition:getPartition":
            return {"id": "aws", "partition": "aws", "dnsSuffix": "amazonaws.com"}
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = [f"{region}{suffix}" for suffix in "abc"]
            return {"id": region, "names": names, "zoneIds": names}
        return {}


def plain_struct(struct: Any) -> dict[str, Any]:
    """A ``google.protobuf.Struct`` as JSON-like Python values, wrappers kept."""
    return {key: _plain_value(value) for key, value in struct.fields.items()}


def _plain_value(value: Any) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        return plain_struct(value.struct_value)
    if kind == "list_value":
        return [_plain_value(item) for item in value.list_value.values]
    if kind == "number_value":
        number = value.number_value
        # Protobuf carries every number as a double; the engine prints integral ones as ints.
        return int(number) if float(number).is_integer() else number
    if kind in ("string_value", "bool_value"):
        return getattr(value, kind)
    return None


def _where(error: BaseException) -> str:
    # The innermost frame outside installed packages and this module: the program's line.
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not frame.filename.startswith((*_LIBRARY_DIRS, "<"))
        and Path(frame.filename) != Path(__file__)
    ]
    if not frames:
        return ""
    frame = frames[-1]
    return f" at {_relative(frame.filename)}:{frame.lineno}"


def _relative(filename: str) -> str:
    try:
        return str(Path(filename).resolve().relative_to(Path.cwd()))
    except ValueError:
        return filename


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or "(no message)"
