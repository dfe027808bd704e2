"""report.html in a real browser (headless Chromium): renders, filters, runs no injected script."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from servegate.engines import get_engine
from servegate.flow import FlowView, PlaceStatus, store_rows
from servegate.gate import evaluate_with_flow
from servegate.policy.bundle import load_bundle
from servegate.report.flow_svg import COLOURS
from servegate.report.writer import write_reports
from servegate.slo_doc import statement_of_plan
from tests import stacks
from tests.report_builders import XSS, failing_report
from tests.tooling import require_tool

POLICIES = Path(__file__).resolve().parents[1] / "policies"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    chromium = require_tool("chromium", "chromium-browser")
    chromedriver = require_tool("chromedriver")
    profile = tmp_path_factory.mktemp("chromium-profile")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(chromedriver))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def page(browser: webdriver.Chrome, tmp_path_factory: pytest.TempPathFactory) -> webdriver.Chrome:
    out = tmp_path_factory.mktemp("report")
    (html,) = write_reports(failing_report(), ["html"], out)
    browser.get(Path(html).resolve().as_uri())
    return browser


def _visible_rows(driver: webdriver.Chrome) -> list[str]:
    rows = driver.find_elements(By.CSS_SELECTOR, "#findings tbody tr")
    return [str(row.get_attribute("data-area")) for row in rows if row.is_displayed()]


def test_banner_and_findings_are_visible(page: webdriver.Chrome) -> None:
    banner = page.find_element(By.ID, "verdict")
    assert banner.is_displayed() and "FAIL: stack dev" in banner.text
    assert len(_visible_rows(page)) == len(failing_report().findings)
    assert page.find_element(By.ID, "filters").is_displayed()


def test_area_filter_hides_other_areas(page: webdriver.Chrome) -> None:
    area = Select(page.find_element(By.ID, "filter-area"))
    area.select_by_value("security")
    try:
        visible = _visible_rows(page)
        assert visible and set(visible) == {"security"}
        assert f"{len(visible)} of 9 findings shown" in page.find_element(By.ID, "shown").text
    finally:
        area.select_by_value("")
    assert len(_visible_rows(page)) == 9


def test_status_filter_combines_with_area(page: webdriver.Chrome) -> None:
    Select(page.find_element(By.ID, "filter-status")).select_by_value("waived")
    try:
        rows = [
            r for r in page.find_elements(By.CSS_SELECTOR, "#findings tbody tr") if r.is_displayed()
        ]
        assert [r.get_attribute("data-status") for r in rows] == ["waived"]
    finally:
        Select(page.find_element(By.ID, "filter-status")).select_by_value("")


def test_script_named_resource_is_text_and_never_runs(page: webdriver.Chrome) -> None:
    assert XSS in page.find_element(By.TAG_NAME, "body").text
    with pytest.raises(NoAlertPresentException):
        page.switch_to.alert.text  # noqa: B018 - reading the alert is the check


def test_console_has_no_errors(page: webdriver.Chrome) -> None:
    severe = [entry for entry in page.get_log("browser") if entry["level"] == "SEVERE"]
    assert severe == []


@pytest.fixture(scope="module")
def sla_page(
    browser: webdriver.Chrome, tmp_path_factory: pytest.TempPathFactory
) -> webdriver.Chrome:
    """prod-ca's report with its SLA statement, built as the gate builds it."""
    spec = stacks.spec("prod-ca")
    report = replace(
        failing_report(), sla_statement=statement_of_plan(spec, stacks.inventory("prod-ca"))
    )
    out = tmp_path_factory.mktemp("sla-report")
    (html,) = write_reports(report, ["html"], out)
    browser.get(Path(html).resolve().as_uri())
    return browser


def test_the_sla_statement_renders_every_model_and_alert(sla_page: webdriver.Chrome) -> None:
    spec = stacks.spec("prod-ca")
    heading = sla_page.find_element(By.ID, "sla-statement")
    assert heading.is_displayed() and heading.text == "SLA statement"
    models = sla_page.find_elements(By.CSS_SELECTOR, "section.sla-model")
    assert [m.get_attribute("data-model") for m in models] == [m.name for m in spec.models]
    assert all(m.is_displayed() for m in models)
    rows = sla_page.find_elements(By.CSS_SELECTOR, "#sla-alerts tbody tr")
    statement = statement_of_plan(spec, stacks.inventory("prod-ca"))
    assert statement is not None
    assert [r.get_attribute("data-alert") for r in rows] == [a.name for a in statement.alerts]
    assert all(r.is_displayed() for r in rows)
    # Each alert links to its runbook in the appendix, which the page holds.
    first = rows[0].find_element(By.TAG_NAME, "a").get_attribute("href") or ""
    assert sla_page.find_element(By.ID, first.rsplit("#", 1)[1]).tag_name == "section"
    severe = [entry for entry in sla_page.get_log("browser") if entry["level"] == "SEVERE"]
    assert severe == []


@pytest.fixture(scope="module")
def flow_page(
    browser: webdriver.Chrome, tmp_path_factory: pytest.TempPathFactory
) -> tuple[webdriver.Chrome, FlowView]:
    """prod-ca's report with its data-flow view, evaluated as the gate evaluates it."""
    engine = get_engine("regorus")
    try:
        _, flow, _ = evaluate_with_flow(
            stacks.inventory("prod-ca"), bundle=load_bundle(POLICIES), engine=engine
        )
    finally:
        engine.close()
    assert flow is not None
    out = tmp_path_factory.mktemp("flow-report")
    (html,) = write_reports(replace(failing_report(), stack="prod-ca", flow=flow), ["html"], out)
    browser.get(Path(html).resolve().as_uri())
    return browser, flow


def _rgb(hex_colour: str) -> str:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def test_the_data_flow_picture_renders_its_nodes_and_colours(
    flow_page: tuple[webdriver.Chrome, FlowView],
) -> None:
    page, flow = flow_page
    svg = page.find_element(By.ID, "flow-diagram")
    assert svg.is_displayed() and svg.size["width"] > 0 and svg.size["height"] > 0
    nodes = page.find_elements(By.CSS_SELECTOR, "#flow-diagram g.flow-node")
    by_kind: dict[str, set[str]] = {}
    for node in nodes:
        assert node.size["width"] > 0 and node.size["height"] > 0
        by_kind.setdefault(str(node.get_attribute("data-kind")), set()).add(
            str(node.get_attribute("data-name"))
        )
    assert "Request entry" in by_kind["source"]
    assert by_kind["backend"] == {hop.backend for route in flow.routes for hop in route.hops}
    assert by_kind["weights"] == {store.name for store in flow.weights} != set()
    assert len(by_kind["logs"]) == len(store_rows(flow)["Logs and audit trail"]) > 0
    # Every endpoint is filled with its compliance class's colour, which the legend shows.
    for node in nodes:
        status = str(node.get_attribute("data-status"))
        if status == "none":
            continue
        rect = node.find_element(By.TAG_NAME, "rect")
        assert rect.value_of_css_property("fill") == _rgb(COLOURS[PlaceStatus(status)][0])
    legend = page.find_elements(By.CSS_SELECTOR, "#flow-legend g.flow-legend-item")
    assert {item.get_attribute("data-status") for item in legend} == {s.value for s in PlaceStatus}
    severe = [entry for entry in page.get_log("browser") if entry["level"] == "SEVERE"]
    assert severe == []


def test_the_route_table_shows_regulated_traffic_staying_in_the_zone(
    flow_page: tuple[webdriver.Chrome, FlowView],
) -> None:
    page, flow = flow_page
    verdict = page.find_element(By.ID, "flow-verdict")
    assert verdict.is_displayed() and verdict.text == flow.verdict.text
    assert verdict.get_attribute("data-ok") == "true"
    rows = page.find_elements(By.CSS_SELECTOR, "#flow-routes tbody tr")
    assert all(row.is_displayed() for row in rows)
    kept = [row for row in rows if row.get_attribute("data-kept") == "true"]
    assert kept and {row.get_attribute("data-class") for row in kept} == {"regulated"}
    assert any(row.get_attribute("data-unclassified") == "true" for row in kept)
    for row in kept:
        assert row.get_attribute("data-allowed") == "true"
        assert row.get_attribute("data-status") == "in-zone"
        assert "in zone" in row.text
    # Bedrock's public and internal rows list the self-hosted fallback after it.
    for classification in ("public", "internal"):
        chain = [
            (row.get_attribute("data-role"), row.get_attribute("data-backend"))
            for row in rows
            if row.get_attribute("data-class") == classification
        ]
        assert chain == [
            ("primary", "llm-gateway/prod-ca-gateway-bedrock-ca"),
            ("fallback", "llm-gateway/prod-ca-gateway-llama-8b"),
        ]
