# METADATA
# title: Audit helpers
# description: What several audit rules share: declared facts, parameters and the
#   collections they judge, each built once per evaluation (rules, not functions).
package lib.audit

import data.lib.inventory as inv
import rego.v1

trail_type := "aws:cloudtrail/trail:Trail"

classification_tag := "data-classification"

classification_of(declared) := object.get(declared, ["tags", classification_tag], "")

# The minimum for the declared classification; an undeclared or unknown classification gets
# the strictest minimum of the table, so a typo can never loosen the rule.
minimum(table, classification) := object.get(table, classification, strictest(table))

strictest(table) := data.lib.inventory.largest([days | some days in table])

untaggable_types := {token | some token in data.params.tags.untaggable_types}

# The plan's aws: resource types that take tags (policies/data/tags.yaml lists those that do not).
taggable_types := [type_token |
	input.by_type[type_token]
	startswith(type_token, "aws:")
	not type_token in untaggable_types
]

# The distinct effective tags of the taggable resources. Most resources share their provider's
# default tags, so there are few: the tag rules judge each value once, then visit only the
# resources holding a failing one (instead of judging thousands of resources one by one).
tag_values := {tags |
	some type_token in taggable_types
	some i in input.by_type[type_token]
	tags := object.get(input.resources[i], "tags", {})
}

# The judged custom taggable resources whose tags are one of `values` (few or none).
resources_tagged(values) := [res |
	count(values) > 0
	some type_token in taggable_types
	some i in input.by_type[type_token]
	res := input.resources[i]
	object.get(res, "tags", {}) in values
	object.get(res, "custom", true) != false
	inv.judged(res)
]

# Audit buckets: where a trail delivers its log files, or tagged as the audit bucket (AUD-006,
# AUD-011, the data-flow view).
_audit_purpose(bucket) if object.get(object.get(bucket, "tags", {}), "servegate.io/purpose", "") == "audit"

_audit_purpose(bucket) if object.get(bucket.props, ["tags", "servegate.io/purpose"], "") == "audit"

_trail_buckets := {urn |
	some trail in inv.resources(input, trail_type)
	some urn in inv.dep_urns(trail, "s3BucketName")
}

audit_buckets := [bucket |
	some type_token in data.lib.residency.bucket_types
	some bucket in inv.resources(input, type_token)
	_audit_bucket(bucket)
]

_audit_bucket(bucket) if _audit_purpose(bucket)

_audit_bucket(bucket) if bucket.urn in _trail_buckets
