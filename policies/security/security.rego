# METADATA
# title: Security
# description: Hardening of the serving stack (a private and encrypted control plane, encrypted
#   storage, no world-open ports but the gateway's HTTPS listener, unprivileged workloads and
#   no model server reachable without authentication).
package security

import rego.v1
