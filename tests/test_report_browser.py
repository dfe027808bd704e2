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

from servegate.report.writer import write_reports
from servegate.slo_doc import statement_of_plan
from tests import stacks
from tests.report_builders import XSS, failing_report
from tests.tooling import require_tool


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
