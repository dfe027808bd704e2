"""The Jinja templates servegate ships as package data (servegate/templates/): reports,
CI pipelines and the stack scaffold, found through the installed package, not a checkout."""

from __future__ import annotations

import jinja2


def template_loader(folder: str = "") -> jinja2.BaseLoader:
    """A loader for ``servegate/templates/<folder>``, wherever the package is installed."""
    return jinja2.PackageLoader("servegate", f"templates/{folder}".rstrip("/"))
