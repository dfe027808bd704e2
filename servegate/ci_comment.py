"""One report comment per stack on a pull request (GitHub) or merge request (GitLab).

`servegate ci comment` finds its earlier comment by a hidden marker naming the stack and
updates it in place, so each stack keeps exactly one comment however often the pipeline runs;
with no report (the gate could not judge) the comment says so instead of failing again.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from servegate.errors import GateError

PROVIDERS = ("github", "gitlab")
# GitHub's and GitLab's comment bodies are capped (65,536 characters on GitHub).
MAX_BODY = 65_000
_PAGE_SIZE = 100
_MAX_PAGES = 50


def marker(stack: str) -> str:
    return f"<!-- servegate-report stack={stack} -->"


def comment_body(stack: str, report: Path, exit_code: int | None) -> str:
    """The marker and the Markdown report, or a one-line note when there is no report."""
    if report.is_file() and report.stat().st_size:
        text = report.read_text(encoding="utf-8")
    else:
        code = 2 if exit_code is None else exit_code
        text = f"**servegate could not judge stack `{stack}`** (exit {code}): the job log says why."
    body = f"{marker(stack)}\n{text}"
    return body if len(body) <= MAX_BODY else body[: MAX_BODY - 40] + "\n\n(report truncated)"


@dataclass(frozen=True)
class Endpoint:
    """Where the comments of one pull/merge request live, and how to authenticate."""

    list_url: str
    create_url: str
    update_url: str  # with {id}
    update_method: str
    headers: Mapping[str, str]


def endpoint(provider: str, env: Mapping[str, str]) -> Endpoint:
    """The provider's comment API from the variables its CI sets (one line if one is missing)."""
    if provider == "github":
        api = env.get("GITHUB_API_URL", "https://api.github.com")
        repo, number, token = _need(env, "GITHUB_REPOSITORY", "PR", "GH_TOKEN")
        return Endpoint(
            list_url=f"{api}/repos/{repo}/issues/{number}/comments",
            create_url=f"{api}/repos/{repo}/issues/{number}/comments",
            update_url=f"{api}/repos/{repo}/issues/comments/{{id}}",
            update_method="PATCH",
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
            },
        )
    if provider == "gitlab":
        api, project, iid, token = _need(
            env, "CI_API_V4_URL", "CI_PROJECT_ID", "MR_IID", "SERVEGATE_NOTE_TOKEN"
        )
        notes = f"{api}/projects/{project}/merge_requests/{iid}/notes"
        return Endpoint(
            list_url=notes,
            create_url=notes,
            update_url=f"{notes}/{{id}}",
            update_method="PUT",
            headers={"PRIVATE-TOKEN": token},
        )
    raise GateError(f"--provider {provider!r}: use one of {', '.join(PROVIDERS)}")


def post_or_update(endpoint: Endpoint, stack: str, body: str) -> str:
    """Update the stack's comment if there is one, else create it; returns 'updated' or
    'created'."""
    tag = marker(stack)
    for page in range(1, _MAX_PAGES + 1):
        batch = _call(endpoint, "GET", f"{endpoint.list_url}?per_page={_PAGE_SIZE}&page={page}")
        if not isinstance(batch, list) or not batch:
            break
        for comment in batch:
            if isinstance(comment, dict) and str(comment.get("body", "")).startswith(tag):
                url = endpoint.update_url.format(id=comment["id"])
                _call(endpoint, endpoint.update_method, url, {"body": body})
                return "updated"
        if len(batch) < _PAGE_SIZE:
            break
    _call(endpoint, "POST", endpoint.create_url, {"body": body})
    return "created"


def _need(env: Mapping[str, str], *names: str) -> list[str]:
    missing = [name for name in names if not env.get(name)]
    if missing:
        raise GateError(f"ci comment: environment variable {missing[0]} is not set")
    return [env[name] for name in names]


def _call(endpoint: Endpoint, method: str, url: str, data: dict[str, Any] | None = None) -> Any:
    headers = dict(endpoint.headers)
    payload = None
    if data is not None:
        payload = json.dumps(data).encode("utf-8")
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=payload, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - CI API
            raw = response.read()
    except urllib.error.HTTPError as error:
        raise GateError(f"ci comment: {method} {url} answered {error.code}") from None
    except urllib.error.URLError as error:
        raise GateError(f"ci comment: {method} {url} failed ({error.reason})") from None
    return json.loads(raw) if raw else None


def comment(provider: str, stack: str, report: Path, exit_code: int | None) -> str:
    return post_or_update(
        endpoint(provider, os.environ), stack, comment_body(stack, report, exit_code)
    )
