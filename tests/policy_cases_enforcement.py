"""AUD-012 end to end: a preview of a program run with `llm-serving:enforcement: off`.

A preview carries the config the program ran with; the case switches enforcement off there
(as `pulumi config set llm-serving:enforcement off` would), so the gate reports the stack.
The corrected plan is the compliant prod-ca plan, whose config does not name the key.
"""

from __future__ import annotations

from typing import Any

from components.config import ENFORCEMENT_KEY, ENFORCEMENT_OFF, PROJECT
from tests.policy_cases_audit_security import PolicyCase, Target, _stack_target


def aud_012(doc: dict[str, Any]) -> Target:
    """The previewed program ran with in-program enforcement switched off."""
    # Pulumi prints every config value of a preview as text.
    doc.setdefault("config", {})[f"{PROJECT}:{ENFORCEMENT_KEY}"] = ENFORCEMENT_OFF
    return _stack_target(doc)


ENFORCEMENT_CASES: dict[str, PolicyCase] = {"AUD-012": aud_012}
