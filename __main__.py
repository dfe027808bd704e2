"""The Pulumi program: read the stack's config, declare its serving stack, export."""

import pulumi

from components.config import KNOWN_KEYS, PROJECT, SECRET_KEYS, ConfigError, parse_spec
from components.serving_stack import ServingStack, ServingStackArgs

project_config = pulumi.Config(PROJECT)
# Object-valued config arrives as JSON text; parse_spec decodes and validates it.
values = {f"{PROJECT}:{key}": project_config.get(key) for key in KNOWN_KEYS}
values = {key: value for key, value in values.items() if value is not None}
values["aws:region"] = pulumi.Config("aws").get("region")
# Secret keys: only whether each is set (parse_spec checks a key source exists); the
# components read the values themselves, as secrets.
for secret_key in SECRET_KEYS:
    if pulumi.runtime.config.get_config(f"{PROJECT}:{secret_key}") is not None:
        values[f"{PROJECT}:{secret_key}"] = "set"
try:
    spec = parse_spec(pulumi.get_stack(), values, source=f"stacks/Pulumi.{pulumi.get_stack()}.yaml")
except ConfigError as error:
    raise pulumi.RunError(str(error)) from None

stack = ServingStack(f"{spec.stack}", ServingStackArgs(spec=spec))
pulumi.export("gatewayEndpoint", stack.endpoint)
pulumi.export("clusterName", stack.cluster_name)
pulumi.export("dashboards", stack.dashboards)
# The CI pipelines keep the gate's audit log in this object-locked bucket.
pulumi.export("auditBucket", stack.audit.bucket_name)
pulumi.export("gpuPools", {p.name: p.instance.gpu for p in spec.gpu_pools})
