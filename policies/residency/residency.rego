# METADATA
# title: Data residency
# description: Where resources, evidence, model weights, images and traffic may live and go,
#   judged against the stack's declared sovereignty zone and compliance's zone table.
package residency

import rego.v1
