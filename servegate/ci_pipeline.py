"""`servegate ci init`: a gating pipeline for GitHub Actions or GitLab CI.

The pipeline lists the stacks under ``stacks/`` when it runs (a stack added later is gated
without running ``ci init`` again), previews each one with a pinned Pulumi CLI and
short-lived cloud credentials (OIDC), gates the preview, keeps one report comment per stack
up to date on the pull/merge request, appends to the stack's audit log kept in its own
object-locked audit bucket, and fails on exit 1 (violations) or 2 (could not judge).
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from components import versions
from servegate.audit_log import DEFAULT_AUDIT_LOG
from servegate.errors import GateError
from servegate.templates_dir import template_loader

# provider -> (template under servegate/templates/ci, file it writes in the project)
CI_FILES: dict[str, tuple[tuple[str, Path], ...]] = {
    "github": (("github.yml.j2", Path(".github/workflows/servegate.yml")),),
    "gitlab": (
        ("gitlab.yml.j2", Path(".gitlab-ci.yml")),
        # The per-stack gate job the generated child pipeline includes.
        ("gitlab-gate.yml.j2", Path(".gitlab/servegate-gate.yml")),
    ),
}
BACKENDS = ("cloud", "self-managed")


def render_ci(provider: str, backend: str = "cloud") -> dict[Path, str]:
    """The pipeline files for ``provider`` and ``backend``: project-relative path -> text."""
    if provider not in CI_FILES:
        raise GateError(f"--provider {provider!r}: use one of {', '.join(CI_FILES)}")
    if backend not in BACKENDS:
        raise GateError(f"--backend {backend!r}: use one of {', '.join(BACKENDS)}")
    environment = jinja2.Environment(  # noqa: S701 - YAML, not HTML
        loader=template_loader(),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    context = {
        "backend": backend,
        "audit_log": DEFAULT_AUDIT_LOG.as_posix(),
        "actions": versions.github_actions(),
        "pulumi_version": versions.pulumi_cli(),
    }
    return {
        path: environment.get_template(f"ci/{template}").render(**context)
        for template, path in CI_FILES[provider]
    }


def write_ci(
    provider: str, project_dir: Path, *, backend: str = "cloud", force: bool = False
) -> list[Path]:
    """Write the pipeline files into the project; refuses to overwrite without ``force``."""
    files = render_ci(provider, backend)
    targets = {project_dir / path: text for path, text in files.items()}
    existing = [path for path in targets if path.exists()]
    if existing and not force:
        raise GateError(f"{existing[0]} already exists (use --force to overwrite)")
    for path, text in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(targets)
