# METADATA
# title: Security helpers
# description: What several security rules share: declared facts, parameters and the
#   collections they judge, each built once per evaluation (rules, not functions).
package lib.security

import rego.v1

cluster_type := "aws:eks/cluster:Cluster"

launch_template_type := "aws:ec2/launchTemplate:LaunchTemplate"

# Any /0 prefix opens to every address of its family (0.0.0.0/0, ::/0).
world_open(cidr) if {
	is_string(cidr)
	endswith(cidr, "/0")
}
