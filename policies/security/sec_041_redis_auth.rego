package security

import rego.v1

_sec041_release_type := "kubernetes:helm.sh/v3:Release"

# Where Envoy Gateway's chart takes its EnvoyGateway configuration, and within it the Redis
# backend of global rate limits and the rate-limit service's container.
_sec041_eg_config := ["values", "config", "envoyGateway"]

_sec041_container_path := "values.config.envoyGateway.provider.kubernetes.rateLimitDeployment.container.env"

# A Helm release configuring Envoy Gateway's rate-limit service with a Redis backend,
# whatever the chart is called: what the values do decides.
_sec041_redis_backed(release) if {
	backend := object.get(release.props, array.concat(_sec041_eg_config, ["rateLimit", "backend"]), {})
	object.get(backend, "type", "") == "Redis"
}

# envoyproxy/ratelimit reads the Redis password from REDIS_AUTH (a value or a secretKeyRef).
_sec041_sends_password(release) if {
	env := object.get(release.props, split(_sec041_container_path, "."), [])
	some var in env
	object.get(var, "name", "") == "REDIS_AUTH"
	_sec041_env_value_set(var)
}

_sec041_env_value_set(var) if data.lib.inventory.is_present(object.get(var, "value", null))

_sec041_env_value_set(var) if data.lib.inventory.is_present(object.get(
	var,
	["valueFrom", "secretKeyRef", "name"],
	null,
))

# A container running the Redis server: its image's repository is redis (any registry or
# mirror prefix, e.g. .../library/redis:8.2) and it does not run the CLI.
_sec041_redis_server(container) if {
	image := object.get(container, "image", "")
	is_string(image)
	# The last path segment without its tag (a registry host may carry a port).
	parts := split(split(image, "@")[0], "/")
	split(parts[count(parts) - 1], ":")[0] == "redis"
	not _sec041_runs_cli(container)
}

_sec041_words(container) := concat(" ", [word |
	some field in ["command", "args"]
	words := object.get(container, field, [])
	is_array(words)
	some word in words
	is_string(word)
])

_sec041_runs_cli(container) if startswith(_sec041_words(container), "redis-cli")

# The server refuses unauthenticated clients: a password (requirepass) or ACL users.
_sec041_requires_auth(container) if contains(_sec041_words(container), "requirepass")

_sec041_requires_auth(container) if contains(_sec041_words(container), "aclfile")

# Envoy Gateway's RateLimitRedisSettings.tls (v1.8): present, even empty, turns TLS on
# (REDIS_TLS=true); its certificateRef adds the client certificate.
_sec041_tls_path := "values.config.envoyGateway.rateLimit.backend.redis.tls"

_sec041_uses_tls(release) if is_object(object.get(release.props, split(_sec041_tls_path, "."), null))

# envoyproxy/ratelimit parses REDIS_TLS_SKIP_HOSTNAME_VERIFICATION with Go's strconv.ParseBool.
_sec041_true_words := {"1", "t", "T", "true", "TRUE", "True"}

_sec041_skips_verification(release) if {
	env := object.get(release.props, split(_sec041_container_path, "."), [])
	some var in env
	object.get(var, "name", "") == "REDIS_TLS_SKIP_HOSTNAME_VERIFICATION"
	object.get(var, "value", "") in _sec041_true_words
}

# The server listens on a TLS port and its plaintext port is off ("port 0"): flags on the
# command line, as a config file's content cannot be seen in a plan.
_sec041_serves_tls_only(container) if {
	words := _sec041_words(container)
	regex.match(`(^| )--tls-port [1-9]`, words)
	regex.match(`(^| )--port 0( |$)`, words)
}

# METADATA
# title: The rate-limit Redis requires authentication and TLS
# description: Global rate limits (tokens per minute per client) live as counters in Redis.
#   A Redis without a password lets any pod that reaches it reset or inflate any client's
#   budget, or read who calls the gateway how often; without TLS the password and the counters
#   cross the pod network in the clear. The Redis server must require a password or ACL users
#   and serve TLS only (plaintext port 0), and Envoy Gateway's rate-limit service must send the
#   password (REDIS_AUTH) over TLS (rateLimit.backend.redis.tls) without skipping the server
#   name check.
# custom:
#   id: SEC-041
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["kubernetes:helm.sh/v3:Release", "kubernetes:apps/v1:Deployment",
#     "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:Job",
#     "kubernetes:batch/v1:CronJob", "kubernetes:core/v1:Pod"]
#   parameters: []
#   remediation: Start redis-server with --requirepass from a Secret (an env var or file, never a
#     literal in the spec) or with --aclfile, and with --port 0 --tls-port 6379 and its
#     --tls-cert-file, --tls-key-file and --tls-ca-cert-file. In Envoy Gateway's config.envoyGateway
#     set rateLimit.backend.redis.tls.certificateRef to a kubernetes.io/tls Secret holding a client
#     certificate and ca.crt, and in provider.kubernetes.rateLimitDeployment.container.env set
#     REDIS_AUTH from the password Secret and REDIS_TLS_CACERT=/redis-certs/ca.crt, without
#     REDIS_TLS_SKIP_HOSTNAME_VERIFICATION (the ModelGateway component does all of this).
deny contains v if {
	some release in data.lib.inventory.resources(input, _sec041_release_type)
	_sec041_redis_backed(release)
	not _sec041_sends_password(release)
	v := data.lib.inventory.violation(
		"SEC-041", release,
		concat("", [
			"Helm release ",
			release.name,
			" runs Envoy Gateway's rate-limit service against Redis without a ",
			"password; set REDIS_AUTH in rateLimitDeployment.container.env",
		]),
		_sec041_container_path, object.get(release.props, split(_sec041_container_path, "."), null),
	)
}

deny contains v if {
	some [res, spec, base] in data.lib.workloads.pods
	some [field, i, container] in data.lib.workloads.containers(spec)
	_sec041_redis_server(container)
	not _sec041_requires_auth(container)
	v := data.lib.inventory.violation(
		"SEC-041", res,
		concat("", [
			res.name,
			" runs a Redis server (",
			field,
			"[",
			format_int(i, 10),
			"] ",
			container.image,
			") that accepts clients without a password; start it with --requirepass from a Secret or --aclfile",
		]),
		concat(".", [base, field, format_int(i, 10), "args"]), object.get(container, "args", null),
	)
}

deny contains v if {
	some release in data.lib.inventory.resources(input, _sec041_release_type)
	_sec041_redis_backed(release)
	not _sec041_uses_tls(release)
	v := data.lib.inventory.violation(
		"SEC-041", release,
		concat("", [
			"Helm release ",
			release.name,
			" runs Envoy Gateway's rate-limit service against Redis without TLS; set ",
			"rateLimit.backend.redis.tls with a certificateRef to a kubernetes.io/tls Secret",
		]),
		_sec041_tls_path, null,
	)
}

deny contains v if {
	some release in data.lib.inventory.resources(input, _sec041_release_type)
	_sec041_redis_backed(release)
	_sec041_skips_verification(release)
	v := data.lib.inventory.violation(
		"SEC-041", release,
		concat("", [
			"Helm release ",
			release.name,
			" turns off the rate-limit service's check of the Redis server's name ",
			"(REDIS_TLS_SKIP_HOSTNAME_VERIFICATION); remove it and give the server a ",
			"certificate for the host in rateLimit.backend.redis.url",
		]),
		_sec041_container_path, object.get(release.props, split(_sec041_container_path, "."), null),
	)
}

deny contains v if {
	some [res, spec, base] in data.lib.workloads.pods
	some [field, i, container] in data.lib.workloads.containers(spec)
	_sec041_redis_server(container)
	not _sec041_serves_tls_only(container)
	v := data.lib.inventory.violation(
		"SEC-041", res,
		concat("", [
			res.name,
			" runs a Redis server (",
			field,
			"[",
			format_int(i, 10),
			"] ",
			container.image,
			") that accepts plaintext clients; start it with --port 0 and --tls-port",
		]),
		concat(".", [base, field, format_int(i, 10), "args"]), object.get(container, "args", null),
	)
}
