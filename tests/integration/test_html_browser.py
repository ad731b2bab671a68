"""The HTML leaderboard in a real headless browser (Debian chromium + chromedriver, via selenium):
the page loads from a file with no network, clicking a header sorts the rows, every number matches
the JSON leaderboard, an injected model name stays text, and a screenshot is a non-blank PNG.

CI installs chromium and chromium-driver (.ci/run); elsewhere the test is skipped, with the reason,
only when they are truly absent.
"""

from __future__ import annotations

import copy
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from distillbench.report import build_leaderboards, render
from distillbench.results import read_results
from tests.conftest import REAL_RUN

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed (pip install 'distillbench[dev]')")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="chromium / chromedriver not installed (apt-get install chromium chromium-driver; CI installs them)",
)


def real_records() -> list[dict[str, Any]]:
    records = read_results(REAL_RUN).records
    evil = copy.deepcopy(next(r for r in records if r["method"] == "at"))
    evil.update(job_id="evil", model_name="<img src=x onerror=\"document.title='pwned'\">", method="kd")
    return [*records, evil]


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    boards = build_leaderboards(real_records())
    out = tmp_path_factory.mktemp("html")
    (out / "leaderboard.html").write_text(render(boards, "html"), encoding="utf-8")
    return out / "leaderboard.html", json.loads(render(boards, "json"))


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1600,1200",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):  # fmt: skip
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()


def column_values(driver: Any, table: Any, col: int) -> list[str]:
    return [tr.find_elements("css selector", "td")[col].get_attribute("data-value") or "" for tr in rows_of(table)]


def rows_of(table: Any) -> list[Any]:
    return table.find_elements("css selector", "tbody tr")


def test_sorting_numbers_escaping_and_screenshot(page: tuple[Path, dict[str, Any]], browser: Any) -> None:
    path, data = page
    browser.get(path.as_uri())
    assert browser.title == "distillbench leaderboard"  # the injected onerror never ran
    (section,) = browser.find_elements("css selector", "section.board")
    table = section.find_element("css selector", "table")
    headers = [th.text for th in table.find_elements("css selector", "thead th")]
    board = data["leaderboards"][0]
    json_rows = board["rows"]
    assert len(rows_of(table)) == len(json_rows)

    # every row's raw numbers match the JSON leaderboard, in the page's initial order
    keys = [th.get_attribute("data-key") for th in table.find_elements("css selector", "thead th")]
    for tr, jrow in zip(rows_of(table), json_rows, strict=True):
        cells = tr.find_elements("css selector", "td")
        assert cells[0].text == jrow["model"]  # the injected name is shown as text
        for key, td in zip(keys, cells, strict=True):
            raw = td.get_attribute("data-value")
            if key in ("mean", "params", "throughput", "speedup", "latency_p50_ms", "peak_memory_mb", "delta"):
                expected = jrow[key]
                assert (raw in (None, "")) == (expected is None), (key, raw, expected)
                if expected is not None:
                    assert float(raw) == pytest.approx(expected, rel=1e-12)
    assert not browser.find_elements("css selector", "section.board td img")

    # click the accuracy header: ascending by the raw mean; click again: descending
    acc = headers.index(next(h for h in headers if h.startswith("accuracy")))
    header = table.find_elements("css selector", "thead th")[acc]
    header.click()
    expected = sorted(r["mean"] for r in json_rows)
    assert [float(v) for v in column_values(browser, table, acc)] == pytest.approx(expected)
    assert header.get_attribute("aria-sort") == "ascending"
    header.click()
    assert [float(v) for v in column_values(browser, table, acc)] == pytest.approx(expected[::-1])
    first = rows_of(table)[0].find_elements("css selector", "td")
    assert (first[0].text, first[2].text) == ("resnet-w32", "—")  # the teacher is the most accurate

    # text sort on the method column (the teacher has no method: last)
    method = headers.index("method")
    table.find_elements("css selector", "thead th")[method].click()
    shown = [tr.find_elements("css selector", "td")[method].text for tr in rows_of(table)]
    present = [m for m in shown if m != "—"]
    assert shown == [*sorted(present), *["—"] * (len(shown) - len(present))]  # missing ("—") last

    # the environment of each run, and the plots, are on the page
    env = section.find_element("css selector", "table.env").text
    assert "b1f37e560ab0" in env and "2.14.1+cu130" in env and "AMD EPYC" in env and "fp32" in env
    assert len(section.find_elements("css selector", "div.plots svg")) == 2

    # a screenshot: a real PNG, not blank (many distinct colours, some dark text pixels)
    from PIL import Image

    png = browser.get_screenshot_as_png()
    img = Image.open(io.BytesIO(png)).convert("RGB")
    assert img.size[0] >= 800 and img.size[1] >= 600
    colours = img.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 50
    dark = sum(n for n, (r, g, b) in colours if r + g + b < 200)
    assert dark > 1000
    (path.parent / "screenshot.png").write_bytes(png)
