"""The query page and an entity page in a real headless browser (Debian's chromium,
driven by selenium): run an example query, see the rows, follow a link."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.needs import missing, need_module

from tests.live_server import build_example_kb, http, live_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
#: Set ONTOMED_SCREENSHOTS=DIR to keep screenshots of the pages for a person to look at.
SCREENSHOTS = Path(os.environ["ONTOMED_SCREENSHOTS"]) if os.environ.get("ONTOMED_SCREENSHOTS") else None

webdriver = need_module("selenium.webdriver", "selenium is not installed (the test extra)")
if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    missing("needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
            module=True)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    kb = build_example_kb(tmp_path_factory.mktemp("web-browser") / "kb")
    if importlib.util.find_spec("pykeen") is not None or os.environ.get("CI"):
        from .test_repurpose import train_small_model  # the repurpose page needs a model

        train_small_model(kb, tmp_path_factory.mktemp("pystow"))
    with live_server(kb) as s:
        yield s


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--disable-sync", "--disable-quic", "--window-size=1280,900",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER),
                              options=options)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


def hosts_contacted(driver) -> set[str]:
    urls = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name).concat([location.href])")
    return {urlsplit(u).netloc for u in urls}


def test_run_an_example_query_see_rows_and_follow_a_link(server, browser):
    wait = WebDriverWait(browser, 15)
    browser.get(server.url)
    # the editor: YASQE on CodeMirror, with SPARQL highlighting
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".CodeMirror .cm-keyword")))
    keywords = {e.text.upper() for e in browser.find_elements(By.CSS_SELECTOR, ".CodeMirror .cm-keyword")}
    assert {"PREFIX", "SELECT", "WHERE"} <= keywords

    browser.find_element(By.XPATH, "//button[contains(., 'Drugs that treat a disease')]").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#results-table tbody tr")))
    rows = browser.find_elements(By.CSS_SELECTOR, "#results-table tbody tr")
    assert len(rows) >= 1
    assert "row" in browser.find_element(By.ID, "status").text
    formats = {a.text for a in browser.find_elements(By.CSS_SELECTOR, "#downloads a.download")}
    assert formats == {"JSON", "XML", "CSV", "TSV"}
    csv_link = browser.find_element(By.XPATH, "//a[@class='download' and text()='CSV']")
    assert http("GET", csv_link.get_attribute("href")).text.startswith("drug,drugLabel")

    link = browser.find_element(By.XPATH, "//a[@class='entity-link' and text()='ome:metformin']")
    assert link.get_attribute("href") == server.url + "entity/metformin"
    assert hosts_contacted(browser) == {urlsplit(server.url).netloc}
    link.click()

    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "article.entity h1")))
    heading = browser.find_element(By.CSS_SELECTOR, "article.entity h1").text
    assert "metformin" in heading and "二甲双胍" in heading
    evidence = browser.find_elements(By.CSS_SELECTOR, "table.evidence tbody tr")
    assert any("glycemic control" in row.text for row in evidence)
    assert "Metformin treats type 2 diabetes mellitus." in browser.find_element(
        By.CSS_SELECTOR, "section.description").text
    assert hosts_contacted(browser) == {urlsplit(server.url).netloc}


def test_a_query_error_is_shown_on_the_page(server, browser):
    wait = WebDriverWait(browser, 15)
    browser.get(server.url)
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".CodeMirror")))
    browser.execute_script(
        "document.querySelector('.CodeMirror').CodeMirror.setValue('SELECT * WHERE { ?s ?p }')")
    browser.find_element(By.ID, "run").click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "status"), "400"))
    assert "SPARQL syntax error" in browser.find_element(By.ID, "status").text


def test_check_a_treatment_see_the_verdict_and_its_source_then_follow_the_drug(server, browser):
    wait = WebDriverWait(browser, 15)
    browser.get(server.url)
    browser.find_element(By.LINK_TEXT, "Treat").click()
    wait.until(EC.presence_of_element_located((By.ID, "treat-form")))
    browser.find_element(By.ID, "disease").send_keys("heart attack")
    browser.find_element(By.ID, "taking").send_keys("Coumadin\nclarithromycin")
    browser.find_element(By.ID, "run").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "table.candidates tbody tr")))
    (row,) = browser.find_elements(By.CSS_SELECTOR, "table.candidates tbody tr")
    assert "aspirin" in row.text and "CAUTION" in row.text.upper()
    assert "aspirin interacts with warfarin, which the patient takes" in row.text
    row.find_element(By.XPATH, ".//li[contains(@class, 'reason')]//summary").click()
    assert "Concomitant use of warfarin and aspirin" in row.text
    assert browser.find_element(By.ID, "taking").get_attribute("value") == "Coumadin\nclarithromycin"
    if SCREENSHOTS:
        browser.save_screenshot(str(SCREENSHOTS / "treat.png"))
    row.find_element(By.CSS_SELECTOR, "a.entity-link").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "article.entity h1")))
    assert "aspirin" in browser.find_element(By.CSS_SELECTOR, "article.entity h1").text
    assert hosts_contacted(browser) == {urlsplit(server.url).netloc}


def test_find_an_entity_from_the_header_search_box_then_by_a_synonym_in_the_address(server, browser):
    wait = WebDriverWait(browser, 15)
    browser.get(server.url + "entity/cystic_fibrosis")
    box = browser.find_element(By.CSS_SELECTOR, "header form.search input[name=q]")
    box.send_keys("Glucophage")
    box.submit()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "table.hits tbody tr")))
    first = browser.find_element(By.CSS_SELECTOR, "table.hits tbody tr a.entity-link")
    assert first.text == "metformin"
    first.click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "article.entity h1")))
    assert browser.current_url == server.url + "entity/metformin"
    browser.get(server.url + "entity/Glucophage")  # a synonym in the address: the entity's page
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "article.entity h1")))
    assert browser.current_url == server.url + "entity/metformin"
    browser.get(server.url + "entity/metfromin")  # nobody's name: a page with the closest names
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "section.error-page")))
    assert "Not found" in browser.find_element(By.TAG_NAME, "h1").text
    browser.find_element(By.CSS_SELECTOR, "ul.candidates a.entity-link").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "article.entity h1")))
    assert "metformin" in browser.find_element(By.CSS_SELECTOR, "article.entity h1").text
    assert hosts_contacted(browser) == {urlsplit(server.url).netloc}


def test_rank_diagnoses_for_findings_and_read_why(server, browser):
    wait = WebDriverWait(browser, 15)
    browser.get(server.url)
    browser.find_element(By.LINK_TEXT, "Diagnose").click()
    wait.until(EC.presence_of_element_located((By.ID, "diagnose-form")))
    browser.find_element(By.ID, "symptoms").send_keys("excessive thirst\nHP:0000103")
    browser.find_element(By.ID, "exclude").send_keys("cough")
    browser.find_element(By.ID, "run").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "table.diagnoses tbody tr")))
    first = browser.find_elements(By.CSS_SELECTOR, "table.diagnoses tbody tr")[0]
    assert first.text.startswith("1") and "type 2 diabetes mellitus" in first.text
    explained = [li.text for li in first.find_elements(By.CSS_SELECTOR, "li.explained")]
    assert any("polydipsia: its phenotype" in line for line in explained)
    assert "excluded: cough" in browser.find_element(By.CSS_SELECTOR, "p.summary").text
    if SCREENSHOTS:
        browser.save_screenshot(str(SCREENSHOTS / "diagnose.png"))
    first.find_element(By.CSS_SELECTOR, "a.entity-link").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "article.entity h1")))
    assert "type 2 diabetes mellitus" in browser.find_element(By.CSS_SELECTOR, "article.entity h1").text
    assert hosts_contacted(browser) == {urlsplit(server.url).netloc}


def test_ask_which_diseases_a_drug_might_treat_and_see_the_paths(server, browser):
    wait = WebDriverWait(browser, 15)
    browser.get(server.url)
    browser.find_element(By.LINK_TEXT, "Repurpose").click()
    wait.until(EC.presence_of_element_located((By.ID, "repurpose-form")))
    browser.find_element(By.ID, "name").send_keys("aspirin")
    browser.find_element(By.ID, "run").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "table.predictions tbody tr")))
    summary = browser.find_element(By.CSS_SELECTOR, "p.summary").text
    assert summary.startswith(("1 of", "2 of", "3 of", "4 of", "5 of", "6 of", "7 of", "8 of", "9 of", "10 of"))
    assert "aspirin treats ?" in summary
    rows = browser.find_elements(By.CSS_SELECTOR, "table.predictions tbody tr")
    offered = [r.find_element(By.CSS_SELECTOR, "a.entity-link").text for r in rows]
    assert "myocardial infarction" not in offered  # the graph says so already
    if SCREENSHOTS:
        browser.save_screenshot(str(SCREENSHOTS / "repurpose.png"))
    rows[0].find_element(By.CSS_SELECTOR, "a.entity-link").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "article.entity h1")))
    assert offered[0] in browser.find_element(By.CSS_SELECTOR, "article.entity h1").text
    assert hosts_contacted(browser) == {urlsplit(server.url).netloc}
