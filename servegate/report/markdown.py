"""report.md: the PR comment. Verdict and counts first, blocking findings next, the rest
folded away; summarised when the full list would not fit in one comment."""

from __future__ import annotations

from servegate.findings import Report
from servegate.report.templating import markdown_environment
from servegate.report.view import build_view

# GitHub rejects comments longer than 65,536 characters; keep a margin.
MAX_CHARS = 65_000
# Rows listed per section, tried in turn until the comment fits (None: all of them).
_ROW_LIMITS: tuple[int | None, ...] = (None, 500, 200, 50, 10, 0)
_CUT_NOTE = "\n\n_Comment cut to fit the length limit; see report.html._\n"


def render_markdown(report: Report, max_chars: int = MAX_CHARS) -> str:
    """The report as GitHub-flavoured Markdown of at most ``max_chars`` characters."""
    template = markdown_environment().get_template("report.md.j2")
    view = build_view(report)
    text = ""
    for limit in _ROW_LIMITS:
        text = template.render(report=report, view=view, limit=limit)
        if len(text) <= max_chars:
            return text
    # Only reachable with absurd numbers of rules or waiver problems: cut at a line end.
    head = text[: max_chars - len(_CUT_NOTE)]
    return head[: head.rfind("\n")] + _CUT_NOTE
