"""Environment variables through which a Pulumi run gets the gate's engine, waivers and bundle.

`servegate up` sets them for both consumers inside `pulumi up`: the CrossGuard pack
(servegate.crossguard) and the program's own enforcement (servegate.enforcement).
"""

from __future__ import annotations

ENGINE_ENV = "SERVEGATE_ENGINE"
PROJECT_DIR_ENV = "SERVEGATE_PROJECT_DIR"
WAIVERS_ENV = "SERVEGATE_WAIVERS"
# The audit log the program's enforcement appends to (default: the project's reports/audit.jsonl).
AUDIT_LOG_ENV = "SERVEGATE_AUDIT_LOG"
