# METADATA
# title: Audit trail
# description: The evidence a reviewer or an investigator needs after the fact (API call
#   history, control-plane and network logs, their retention and integrity) and tagging that
#   ties every resource to an owner and a data classification.
package audit

import rego.v1
