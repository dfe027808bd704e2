package security_test

import data.security
import rego.v1

# SEC-041 on small inventories of its own (helpers prefixed _t041_): Envoy Gateway's Redis
# backed rate-limit service sends a password, and every Redis server requires one.

_t041_resource(type_token, name, props) := {
	"urn": concat("::", ["urn:pulumi:prod-ca", "llm-serving", type_token, name]),
	"type": type_token, "name": name, "op": "create", "custom": true, "unknowns": [], "deps": {},
	"props": props,
}

_t041_auth_env := [{
	"name": "REDIS_AUTH",
	"valueFrom": {"secretKeyRef": {"name": "ratelimit-redis-auth", "key": "password"}},
}]

_t041_tls := {"certificateRef": {"kind": "Secret", "name": "ratelimit-redis-client-tls"}}

_t041_redis_url := "redis.llm-gateway.svc.cluster.local:6379"

_t041_release_with(env, redis) := _t041_resource(
	"kubernetes:helm.sh/v3:Release",
	"eg",
	{"values": {"config": {"envoyGateway": {
		"rateLimit": {"backend": {"type": "Redis", "redis": redis}},
		"provider": {"type": "Kubernetes", "kubernetes": {"rateLimitDeployment": {"container": {"env": env}}}},
	}}}},
)

_t041_release(env) := _t041_release_with(env, {"url": _t041_redis_url, "tls": _t041_tls})

_t041_tls_flags := concat(" ", [
	"--port 0 --tls-port 6379",
	"--tls-cert-file /tls/tls.crt --tls-key-file /tls/tls.key --tls-ca-cert-file /tls/ca.crt",
])

_t041_redis_args := [concat(" ", [
	"exec redis-server --requirepass \"$REDIS_PASSWORD\"",
	_t041_tls_flags,
	"--save '' --dir /data",
])]

_t041_container(image, command, args) := {"name": "redis", "image": image, "command": command, "args": args}

_t041_deployment(containers) := _t041_resource("kubernetes:apps/v1:Deployment", "ratelimit-redis", {
	"metadata": {"name": "ratelimit-redis", "namespace": "llm-gateway"},
	"spec": {"template": {"spec": {"containers": containers}}},
})

_t041_compliant := [
	_t041_release(_t041_auth_env),
	_t041_deployment([_t041_container("mirror.example/library/redis:8.2.4-alpine3.22", ["sh", "-c"], _t041_redis_args)]),
]

_t041_deny(resources) := denies if {
	by_type := {t: [i | some i; resources[i].type == t] | some res in resources; t := res.type}
	denies := security.deny with input.resources as resources
		with input.by_type as by_type
		with input.stack as {"name": "prod-ca", "project": "llm-serving"}
		with input.declared as {}
		with input.evaluation as {"as_of": "2026-12-01"}
}

_t041_fired(resources) := {[v.urn, v.path] | some v in _t041_deny(resources); v.rule_id == "SEC-041"}

_t041_messages(resources) := {v.message | some v in _t041_deny(resources); v.rule_id == "SEC-041"}

_t041_tls_path := "values.config.envoyGateway.rateLimit.backend.redis.tls"

_t041_env_path := "values.config.envoyGateway.provider.kubernetes.rateLimitDeployment.container.env"

test_sec_041_password_on_both_sides_passes if {
	count(_t041_fired(_t041_compliant)) == 0
}

test_sec_041_a_literal_redis_auth_value_counts if {
	count(_t041_fired([_t041_release([{"name": "REDIS_AUTH", "value": "not-in-a-secret"}])])) == 0
}

test_sec_041_an_acl_file_requires_auth_too if {
	redis := _t041_deployment([_t041_container(
		"redis:8.2",
		["redis-server"],
		["--aclfile", "/etc/redis/users.acl", "--port", "0", "--tls-port", "6379"],
	)])
	count(_t041_fired([redis])) == 0
}

test_sec_041_a_rate_limit_service_without_redis_auth_is_denied if {
	release := _t041_release([{"name": "USE_STATSD", "value": "true"}])
	_t041_fired([release]) == {[release.urn, _t041_env_path]}
}

test_sec_041_an_empty_redis_auth_is_denied if {
	release := _t041_release([{"name": "REDIS_AUTH", "value": ""}])
	_t041_fired([release]) == {[release.urn, _t041_env_path]}
}

test_sec_041_a_release_without_a_redis_backend_is_not_judged if {
	release := _t041_resource(
		"kubernetes:helm.sh/v3:Release",
		"eg",
		{"values": {"config": {"envoyGateway": {"provider": {"type": "Kubernetes"}}}}},
	)
	count(_t041_fired([release])) == 0
}

test_sec_041_a_redis_without_a_password_is_denied if {
	redis := _t041_deployment([_t041_container(
		"mirror.example/library/redis:8.2.4-alpine3.22",
		null,
		["--save", "", "--appendonly", "no", "--port", "0", "--tls-port", "6379"],
	)])
	_t041_fired([redis]) == {[redis.urn, "spec.template.spec.containers.0.args"]}
	every message in _t041_messages([redis]) {
		contains(message, "accepts clients without a password")
	}
}

test_sec_041_a_redis_by_digest_without_a_password_is_denied if {
	redis := _t041_deployment([_t041_container("redis@sha256:0123abcd", null, null)])
	some v in _t041_deny([redis])
	v.rule_id == "SEC-041"
	contains(v.message, "accepts clients without a password")
}

test_sec_041_a_redis_init_container_is_judged if {
	spec := {
		"initContainers": [_t041_container("redis:8.2", null, null)],
		"containers": [{"name": "app", "image": "example/app:1"}],
	}
	redis := _t041_resource("kubernetes:apps/v1:Deployment", "with-init", {"spec": {"template": {"spec": spec}}})
	_t041_fired([redis]) == {[redis.urn, "spec.template.spec.initContainers.0.args"]}
}

test_sec_041_a_bare_pod_with_an_ephemeral_redis_is_judged if {
	pod := _t041_resource("kubernetes:core/v1:Pod", "debug", {"spec": {
		"containers": [{"name": "app", "image": "example/app:1"}],
		"ephemeralContainers": [_t041_container("registry.example:5000/redis:8.2", null, null)],
	}})
	_t041_fired([pod]) == {[pod.urn, "spec.ephemeralContainers.0.args"]}
}

test_sec_041_the_redis_cli_is_not_a_server if {
	client := _t041_deployment([_t041_container("redis:8.2", ["redis-cli"], ["-h", "redis", "ping"])])
	count(_t041_fired([client])) == 0
}

test_sec_041_other_images_named_like_redis_are_not_servers if {
	exporter := _t041_deployment([_t041_container("oliver006/redis_exporter:v1.62.0", null, null)])
	count(_t041_fired([exporter])) == 0
}

# TLS: the release's redis.tls and the server's listeners.

test_sec_041_an_empty_tls_object_turns_tls_on if {
	release := _t041_release_with(_t041_auth_env, {"url": _t041_redis_url, "tls": {}})
	count(_t041_fired([release])) == 0
}

test_sec_041_a_rate_limit_service_without_tls_is_denied if {
	release := _t041_release_with(_t041_auth_env, {"url": _t041_redis_url})
	_t041_fired([release]) == {[release.urn, _t041_tls_path]}
	some message in _t041_messages([release])
	contains(message, "without TLS")
}

test_sec_041_a_null_tls_is_no_tls if {
	release := _t041_release_with(_t041_auth_env, {"url": _t041_redis_url, "tls": null})
	_t041_fired([release]) == {[release.urn, _t041_tls_path]}
}

test_sec_041_skipping_the_server_name_check_is_denied if {
	skip := {"name": "REDIS_TLS_SKIP_HOSTNAME_VERIFICATION", "value": "true"}
	release := _t041_release(array.concat(_t041_auth_env, [skip]))
	_t041_fired([release]) == {[release.urn, _t041_env_path]}
	some message in _t041_messages([release])
	contains(message, "REDIS_TLS_SKIP_HOSTNAME_VERIFICATION")
}

test_sec_041_a_false_skip_flag_keeps_the_check if {
	keep := {"name": "REDIS_TLS_SKIP_HOSTNAME_VERIFICATION", "value": "false"}
	release := _t041_release(array.concat(_t041_auth_env, [keep]))
	count(_t041_fired([release])) == 0
}

test_sec_041_a_redis_with_a_password_but_plaintext_is_denied if {
	redis := _t041_deployment([_t041_container(
		"mirror.example/library/redis:8.2.4-alpine3.22",
		["sh", "-c"],
		["exec redis-server --requirepass \"$REDIS_PASSWORD\" --save '' --dir /data"],
	)])
	_t041_fired([redis]) == {[redis.urn, "spec.template.spec.containers.0.args"]}
	_t041_messages([redis]) == {concat("", [
		"ratelimit-redis runs a Redis server (containers[0] mirror.example/library/redis:8.2.4-alpine3.22) ",
		"that accepts plaintext clients; start it with --port 0 and --tls-port",
	])}
}

test_sec_041_a_tls_port_beside_the_plaintext_port_is_denied if {
	redis := _t041_deployment([_t041_container(
		"redis:8.2",
		["redis-server"],
		["--requirepass", "x", "--tls-port", "6380", "--tls-cert-file", "/tls/tls.crt"],
	)])
	_t041_fired([redis]) == {[redis.urn, "spec.template.spec.containers.0.args"]}
}

test_sec_041_plaintext_off_without_a_tls_port_is_denied if {
	args := ["--requirepass", "x", "--port", "0"]
	redis := _t041_deployment([_t041_container("redis:8.2", ["redis-server"], args)])
	_t041_fired([redis]) == {[redis.urn, "spec.template.spec.containers.0.args"]}
}
