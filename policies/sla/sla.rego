# METADATA
# title: Service level
# description: Replicas, spreading, disruption budgets, probes, rollouts, GPU capacity, image
#   pinning, gateway redundancy and alerting that the stack's declared availability relies on.
package sla

import rego.v1
