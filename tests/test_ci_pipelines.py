"""`servegate ci init` and `servegate ci comment`: pipelines that work on their first run.

The generated files are validated against GitHub's and GitLab's published schemas (the ones
check-jsonschema vendors), their steps are asserted, and the shell each step runs is executed
here with stand-ins for pulumi, aws and servegate on PATH, so the scripts are tested, not only
their text.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from components.versions import github_actions, pulumi_cli
from servegate.cli.main import app
from servegate.findings import Enforcement, Severity
from servegate.report.codequality import render_codequality
from tests import report_builders
from tests.tooling import require_tool

runner = CliRunner()
WORKFLOW = Path(".github/workflows/servegate.yml")
GITLAB = Path(".gitlab-ci.yml")
GITLAB_GATE = Path(".gitlab/servegate-gate.yml")
EXPRESSION = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


def _init(project: Path, *args: str) -> str:
    result = runner.invoke(app, ["-C", str(project), "ci", "init", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    """check-jsonschema (a test dependency) with the schema it vendors for ``schema``."""
    beside = Path(sys.executable).parent / "check-jsonschema"
    tool = str(beside) if beside.exists() else require_tool("check-jsonschema")
    return subprocess.run(
        [tool, "--builtin-schema", schema, str(path)], capture_output=True, text=True, check=False
    )


def _step(job: dict[str, Any], name: str) -> dict[str, Any]:
    return next(step for step in job["steps"] if step.get("name") == name)


def _bin(folder: Path, name: str, script: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/usr/bin/env bash\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def _bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def _substitute(script: str, values: dict[str, str]) -> str:
    """What GitHub does with ``${{ ... }}`` before the shell sees a run script."""
    return EXPRESSION.sub(lambda m: values[m.group(1)], script)


# --- GitHub -------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["cloud", "self-managed"])
def test_github_workflow_is_valid_against_github_schema(project: Path, backend: str) -> None:
    _init(project, "--provider", "github", "--backend", backend)
    result = _check_jsonschema("vendor.github-workflows", project / WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_github_workflow_uses_oidc_pins_and_caches(project: Path) -> None:
    _init(project, "--provider", "github")
    workflow = yaml.safe_load((project / WORKFLOW).read_text())
    assert workflow["permissions"] == {"contents": "read"}
    job = workflow["jobs"]["gate"]
    assert job["permissions"]["id-token"] == "write"
    pins = github_actions()
    text = (project / WORKFLOW).read_text()
    for line in re.findall(r"uses: (\S+ # \S+)", text):
        target, tag = line.split(" # ")
        repo, commit = target.split("@")
        assert re.fullmatch(r"[0-9a-f]{40}", commit), line
        assert any(
            repo.startswith(pin.repo) and pin.commit == commit and pin.tag == tag
            for pin in pins.values()
        ), line
    steps = {step.get("uses", "").split("@")[0]: step for step in job["steps"]}
    credentials = steps["aws-actions/configure-aws-credentials"]["with"]
    assert credentials["role-to-assume"] == "${{ vars.SERVEGATE_AWS_ROLE_ARN }}"
    assert credentials["aws-region"] == "${{ matrix.region }}"
    python = steps["actions/setup-python"]["with"]
    assert (python["cache"], python["cache-dependency-path"]) == ("pip", "pyproject.toml")
    assert steps["pulumi/actions"]["with"]["pulumi-version"] == pulumi_cli()
    assert re.fullmatch(r"\d+\.\d+\.\d+", pulumi_cli())
    assert job["strategy"]["matrix"]["include"] == "${{ fromJSON(needs.stacks.outputs.matrix) }}"
    assert job["concurrency"]["group"] == "servegate-audit-${{ matrix.stack }}"
    assert "PULUMI_ACCESS_TOKEN" in job["env"] and "PULUMI_BACKEND_URL" not in job["env"]
    sarif = _step(job, "Upload SARIF")
    assert "hashFiles(format('reports/{0}/report.sarif', matrix.stack))" in sarif["if"]
    order = [step.get("name") for step in job["steps"]]
    assert (
        order.index("Preview")
        < order.index("Gate")
        < order.index("Keep the audit log in the stack's audit bucket")
        < order.index("Fail on violations (1) or when the gate could not judge (2)")
    )


def test_github_self_managed_backend_reads_the_backend_url(project: Path) -> None:
    _init(project, "--provider", "github", "--backend", "self-managed")
    job = yaml.safe_load((project / WORKFLOW).read_text())["jobs"]["gate"]
    assert job["env"]["PULUMI_BACKEND_URL"] == "${{ vars.PULUMI_BACKEND_URL }}"
    assert "PULUMI_ACCESS_TOKEN" not in job["env"]
    assert "awskms://" in (project / WORKFLOW).read_text()


def test_github_stack_list_is_computed_when_the_workflow_runs(project: Path) -> None:
    _init(project, "--provider", "github")
    workflow = yaml.safe_load((project / WORKFLOW).read_text())
    script = workflow["jobs"]["stacks"]["steps"][1]["run"]
    # A stack added after `ci init` is gated too.
    (project / "stacks/Pulumi.later.yaml").write_text(
        'config:\n  aws:region: "eu-west-3"\n  llm-serving:environment: dev\n'
    )
    output = project / "github_output"
    result = _bash(script, project, {"GITHUB_OUTPUT": str(output)})
    assert result.returncode == 0, result.stderr
    matrix = json.loads(output.read_text().strip().removeprefix("matrix="))
    regions = {
        path.name.removeprefix("Pulumi.").removesuffix(".yaml"): yaml.safe_load(path.read_text())[
            "config"
        ]["aws:region"]
        for path in (project / "stacks").glob("Pulumi.*.yaml")
    }
    assert {entry["stack"]: entry["region"] for entry in matrix} == regions
    assert "later" in regions


def test_github_stack_list_is_empty_without_stacks(tmp_path: Path) -> None:
    _init(tmp_path, "--provider", "github")
    workflow = yaml.safe_load((tmp_path / WORKFLOW).read_text())
    output = tmp_path / "github_output"
    result = _bash(
        workflow["jobs"]["stacks"]["steps"][1]["run"], tmp_path, {"GITHUB_OUTPUT": str(output)}
    )
    assert result.returncode == 0, result.stderr
    assert output.read_text().strip() == "matrix=[]"
    assert workflow["jobs"]["gate"]["if"] == "needs.stacks.outputs.matrix != '[]'"


def _fakes(folder: Path, calls: Path) -> dict[str, str]:
    """pulumi, aws and .venv/bin/servegate stand-ins that record their arguments."""
    record = f'echo "$(basename "$0") $*" >> {calls}\n'
    _bin(
        folder / "bin",
        "pulumi",
        record + 'if [ "$1 $2" = "stack output" ]; then echo audit-bkt; fi\n'
        'if [ "$1" = "preview" ]; then echo "{\\"steps\\": []}"; '
        'exit "${FAKE_PREVIEW_EXIT:-0}"; fi\n',
    )
    _bin(
        folder / "bin",
        "aws",
        record + 'if [ "$1 $2" = "s3 cp" ] && [ "${3#s3://}" != "$3" ]; then '
        'echo "{}" > "$4"; fi\n',
    )
    _bin(
        folder / ".venv/bin",
        "servegate",
        record + 'if [ "$1" = "check" ]; then exit "${FAKE_GATE_EXIT:-0}"; fi\n',
    )
    return {"PATH": f"{folder / 'bin'}:{os.environ['PATH']}"}


def test_github_steps_keep_one_audit_chain_in_the_audit_bucket(project: Path) -> None:
    _init(project, "--provider", "github")
    job = yaml.safe_load((project / WORKFLOW).read_text())["jobs"]["gate"]
    calls = project / "calls.txt"
    env = {
        **_fakes(project, calls),
        "STACK": "prod-ca",
        "REPORTS": "reports/prod-ca",
        "AUDIT_LOG": "reports/audit.jsonl",
        "GITHUB_OUTPUT": str(project / "out"),
    }
    for name in ("Fetch the audit log", "Preview"):
        assert _bash(_step(job, name)["run"], project, env).returncode == 0
    outputs = dict(line.split("=", 1) for line in (project / "out").read_text().split())
    assert outputs["bucket"] == "audit-bkt"
    gate = _substitute(_step(job, "Gate")["run"], {"steps.preview.outputs.code": outputs["code"]})
    assert _bash(gate, project, env).returncode == 0
    keep = _step(job, "Keep the audit log in the stack's audit bucket")
    assert _bash(keep["run"], project, {**env, "BUCKET": "audit-bkt"}).returncode == 0
    lines = calls.read_text().splitlines()
    assert "aws s3 cp s3://audit-bkt/servegate/audit.jsonl reports/audit.jsonl" in lines
    check = next(line for line in lines if line.startswith("servegate check"))
    assert "--audit-log reports/audit.jsonl" in check
    assert lines.index("servegate audit verify --log reports/audit.jsonl") < lines.index(
        "aws s3 cp reports/audit.jsonl s3://audit-bkt/servegate/audit.jsonl"
    )


def test_github_failed_preview_is_exit_2_and_later_steps_do_not_fail_again(project: Path) -> None:
    _init(project, "--provider", "github")
    job = yaml.safe_load((project / WORKFLOW).read_text())["jobs"]["gate"]
    calls = project / "calls.txt"
    env = {
        **_fakes(project, calls),
        "STACK": "prod-ca",
        "REPORTS": "reports/prod-ca",
        "AUDIT_LOG": "reports/audit.jsonl",
        "GITHUB_OUTPUT": str(project / "out"),
        "FAKE_PREVIEW_EXIT": "255",
    }
    assert _bash(_step(job, "Preview")["run"], project, env).returncode == 0
    gate = _substitute(_step(job, "Gate")["run"], {"steps.preview.outputs.code": "255"})
    result = _bash(gate, project, env)
    assert result.returncode == 0 and "pulumi preview failed (exit 255)" in result.stdout
    assert "code=2" in (project / "out").read_text()
    assert not any(line.startswith("servegate check") for line in calls.read_text().splitlines())
    # Nothing was logged and no report exists: the later steps say so and do not fail.
    keep = _bash(
        _step(job, "Keep the audit log in the stack's audit bucket")["run"],
        project,
        {**env, "BUCKET": "audit-bkt"},
    )
    assert keep.returncode == 0 and "no gate run was logged" in keep.stdout
    final = _step(job, "Fail on violations (1) or when the gate could not judge (2)")
    assert _bash(final["run"], project, {**env, "GATE_CODE": "2"}).returncode == 2
    assert _bash(final["run"], project, {**env, "GATE_CODE": ""}).returncode == 2
    assert _bash(final["run"], project, {**env, "GATE_CODE": "0"}).returncode == 0


def test_ci_init_refuses_unknown_choices_and_overwrites(project: Path) -> None:
    for args, message in (
        (["--provider", "jenkins"], "use one of github, gitlab"),
        (["--provider", "github", "--backend", "local"], "use one of cloud, self-managed"),
    ):
        result = runner.invoke(app, ["-C", str(project), "ci", "init", *args])
        assert result.exit_code == 2 and message in result.output
    _init(project, "--provider", "gitlab")
    result = runner.invoke(app, ["-C", str(project), "ci", "init", "--provider", "gitlab"])
    assert result.exit_code == 2 and "already exists" in result.output
    _init(project, "--provider", "gitlab", "--force")


# --- GitLab -------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["cloud", "self-managed"])
def test_gitlab_files_are_valid_against_gitlab_schema(project: Path, backend: str) -> None:
    _init(project, "--provider", "gitlab", "--backend", backend)
    for path in (GITLAB, GITLAB_GATE):
        result = _check_jsonschema("vendor.gitlab-ci", project / path)
        assert result.returncode == 0, f"{path}: {result.stdout}{result.stderr}"


def test_gitlab_child_pipeline_has_one_valid_job_per_stack(project: Path) -> None:
    _init(project, "--provider", "gitlab")
    pipeline = yaml.safe_load((project / GITLAB).read_text())
    script = "\n".join(pipeline["servegate:stacks"]["script"])
    result = _bash(script, project, {"CI_MERGE_REQUEST_IID": "42"})
    assert result.returncode == 0, result.stderr
    child_path = project / "servegate-stacks.yml"
    assert _check_jsonschema("vendor.gitlab-ci", child_path).returncode == 0
    child = yaml.safe_load(child_path.read_text())
    assert child["include"] == [{"local": str(GITLAB_GATE)}]
    jobs = {name: job for name, job in child.items() if name.startswith("servegate:")}
    stacks = sorted(
        p.name[len("Pulumi.") : -len(".yaml")] for p in (project / "stacks").glob("Pulumi.*.yaml")
    )
    assert sorted(name.removeprefix("servegate:") for name in jobs) == stacks
    assert jobs["servegate:prod-ca"]["variables"] == {
        "STACK": "prod-ca",
        "AWS_REGION": "ca-central-1",
        "MR_IID": "42",
    }
    trigger = pipeline["servegate:gate"]["trigger"]
    assert trigger["include"] == [{"artifact": "servegate-stacks.yml", "job": "servegate:stacks"}]
    assert trigger["strategy"] == "depend"


def test_gitlab_gate_job_has_oidc_pins_reports_and_one_note(project: Path) -> None:
    _init(project, "--provider", "gitlab", "--backend", "self-managed")
    gate = yaml.safe_load((project / GITLAB_GATE).read_text())[".servegate"]
    assert gate["id_tokens"] == {"AWS_ID_TOKEN": {"aud": "sts.amazonaws.com"}}
    assert gate["variables"]["PULUMI_VERSION"] == pulumi_cli()
    assert gate["cache"]["key"]["files"] == ["pyproject.toml"]
    assert gate["resource_group"] == "servegate-audit-$STACK"
    reports = gate["artifacts"]["reports"]
    assert reports == {
        "junit": "reports/$STACK/junit.xml",
        "codequality": "reports/$STACK/gl-code-quality-report.json",
    }
    script = "\n".join(gate["script"])
    assert "--format json,md,html,sarif,junit,codequality" in script
    assert "servegate ci comment --provider gitlab" in script
    assert script.index("servegate check") < script.index("servegate audit verify")
    assert gate["script"][-1] == 'exit "$(cat reports/exit-code)"'
    assert "assume-role-with-web-identity" in "\n".join(gate["before_script"])


# --- one comment per stack ----------------------------------------------------------------


class _CommentsApi(BaseHTTPRequestHandler):
    """GitHub's issue-comments and GitLab's MR-notes endpoints, as far as ci comment uses them."""

    comments: list[dict[str, Any]]
    seen: list[tuple[str, str, dict[str, str]]]

    def _json(self, code: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _read(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length", "0"))
        return json.loads(self.rfile.read(length)) if length else {}

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.seen.append(("GET", self.path, dict(self.headers)))
        page = int(re.search(r"[?&]page=(\d+)", self.path).group(1))  # type: ignore[union-attr]
        per_page = int(re.search(r"per_page=(\d+)", self.path).group(1))  # type: ignore[union-attr]
        self._json(200, self.comments[(page - 1) * per_page : page * per_page])

    def do_POST(self) -> None:  # noqa: N802
        self.seen.append(("POST", self.path, dict(self.headers)))
        comment = {"id": 1000 + len(self.comments), "body": self._read()["body"]}
        self.comments.append(comment)
        self._json(201, comment)

    def _update(self) -> None:
        self.seen.append((self.command, self.path, dict(self.headers)))
        comment_id = int(self.path.rsplit("/", 1)[1])
        body = self._read()["body"]
        for comment in self.comments:
            if comment["id"] == comment_id:
                comment["body"] = body
        self._json(200, {"id": comment_id, "body": body})

    do_PATCH = _update  # noqa: N815
    do_PUT = _update  # noqa: N815


@pytest.fixture
def api() -> Iterator[tuple[str, type[_CommentsApi]]]:
    handler = type("Api", (_CommentsApi,), {"comments": [], "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


PROVIDER_ENV = {
    "github": lambda url: {
        "GITHUB_API_URL": url,
        "GITHUB_REPOSITORY": "acme/llm",
        "PR": "7",
        "GH_TOKEN": "ghs_secret_token_value",
    },
    "gitlab": lambda url: {
        "CI_API_V4_URL": url,
        "CI_PROJECT_ID": "12",
        "MR_IID": "7",
        "SERVEGATE_NOTE_TOKEN": "glpat-secret_token_value",
    },
}


def _comment(
    provider: str, url: str, stack: str, report: Path, monkeypatch: pytest.MonkeyPatch, *extra: str
) -> Any:
    for key, value in PROVIDER_ENV[provider](url).items():
        monkeypatch.setenv(key, value)
    return runner.invoke(
        app, ["ci", "comment", "--provider", provider, "-s", stack, "--report", str(report), *extra]
    )


@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_one_comment_per_stack_updated_in_place(
    provider: str,
    api: tuple[str, type[_CommentsApi]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, handler = api
    handler.comments.extend({"id": i, "body": f"someone else {i}"} for i in range(150))
    report = tmp_path / "report.md"
    report.write_text("# prod-ca: PASS\n")
    first = _comment(provider, url, "prod-ca", report, monkeypatch)
    assert first.exit_code == 0, first.output
    report.write_text("# prod-ca: FAIL\n")
    second = _comment(provider, url, "prod-ca", report, monkeypatch)
    other = _comment(provider, url, "prod-eu", report, monkeypatch)
    assert second.exit_code == other.exit_code == 0
    ours = [c for c in handler.comments if c["body"].startswith("<!-- servegate-report")]
    assert [c["body"].splitlines() for c in ours] == [
        ["<!-- servegate-report stack=prod-ca -->", "# prod-ca: FAIL"],
        ["<!-- servegate-report stack=prod-eu -->", "# prod-ca: FAIL"],
    ]
    methods = [method for method, _, _ in handler.seen if method != "GET"]
    assert methods == ["POST", "PATCH" if provider == "github" else "PUT", "POST"]
    header = "Authorization" if provider == "github" else "Private-Token"
    assert all(any(k.lower() == header.lower() for k in headers) for _, _, headers in handler.seen)
    for result in (first, second, other):
        assert "secret_token_value" not in result.output


def test_a_missing_report_is_a_could_not_judge_note(
    api: tuple[str, type[_CommentsApi]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, handler = api
    result = _comment(
        "github", url, "prod-ca", tmp_path / "absent.md", monkeypatch, "--exit-code", "2"
    )
    assert result.exit_code == 0, result.output
    assert "could not judge stack `prod-ca`** (exit 2)" in handler.comments[0]["body"]


def test_comment_needs_its_ci_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CI_API_V4_URL", "CI_PROJECT_ID", "MR_IID", "SERVEGATE_NOTE_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    result = runner.invoke(
        app,
        [
            "ci",
            "comment",
            "--provider",
            "gitlab",
            "-s",
            "prod-ca",
            "--report",
            str(tmp_path / "r.md"),
        ],
    )
    assert result.exit_code == 2
    assert "environment variable CI_API_V4_URL is not set" in result.output
    assert "Traceback" not in result.output


# --- Code Quality report ------------------------------------------------------------------


def test_code_quality_report_lists_unwaived_findings_with_fingerprints() -> None:
    report = report_builders.failing_report()
    issues = json.loads(render_codequality(report))
    unwaived = [f for f in report.findings if not f.waived]
    assert len(issues) == len(unwaived) > 0
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)
    for issue, finding in zip(issues, unwaived, strict=True):
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["check_name"] == finding.rule_id
        assert f"({finding.evidence.path} = " in issue["description"]
        assert issue["location"] == {
            "path": f"stacks/Pulumi.{report.stack}.yaml",
            "lines": {"begin": 1},
        }
        expected = {
            Severity.CRITICAL: "critical",
            Severity.HIGH: "major",
            Severity.MEDIUM: "minor",
            Severity.LOW: "info",
        }[finding.severity]
        if finding.enforcement is Enforcement.ADVISORY and expected in ("critical", "major"):
            expected = "minor"
        assert issue["severity"] == expected


def test_the_schemas_reject_a_broken_pipeline(project: Path) -> None:
    _init(project, "--provider", "github")
    broken = project / "broken.yml"
    broken.write_text((project / WORKFLOW).read_text().replace("runs-on:", "runs_on:", 1))
    assert _check_jsonschema("vendor.github-workflows", broken).returncode != 0
    gitlab = project / "broken-gitlab.yml"
    gitlab.write_text("job:\n  scripts: [echo]\n")
    assert _check_jsonschema("vendor.gitlab-ci", gitlab).returncode != 0
