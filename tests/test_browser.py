"""The web explorer (``stancegraph/web``, served by ``api/web.py``) in a real browser.

The HTTP tests check how the explorer is served (hashed asset URLs, caching, 304s, gzip,
CSP) without a browser. The browser tests drive headless Chromium (Debian's ``chromium``
package, through Playwright for Python) against a real uvicorn server on 127.0.0.1:
overview → actor page (stances, an evidence quote), keyboard navigation of the SVG,
guarantor matrix (nine nominees), proposition and conditions pages, an example SPARQL
query and its CSV download, a broken query and its error message, a 375 px screen, and
data that tries to inject HTML. Any console error or uncaught page error fails a test.
Screenshots go to the pytest temp dir (printed; ``pytest -s`` shows where).
"""

from __future__ import annotations

import csv
import importlib.util
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from stancegraph.api.errors import install_error_handlers
from stancegraph.api.web import load_assets, mount_web

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ID = "https://w3id.org/stancegraph/id/"
NOMINEES = {
    "Canada",
    "China",
    "France",
    "Germany",
    "Israel",
    "Poland",
    "Turkey",
    "United Kingdom",
    "United States",
}
FOMIN_QUOTE = (
    "It was decided, in order to increase confidence, to drastically reduce military activity"
)


# --------------------------------------------------------------------------- serving


@pytest.fixture(scope="module")
def web_client() -> Iterator[TestClient]:
    app = FastAPI()
    install_error_handlers(app)
    mount_web(app)
    with TestClient(app) as client:
        yield client


def test_index_links_hashed_assets_and_is_revalidated(web_client: TestClient) -> None:
    r = web_client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-cache" and r.headers["etag"]
    csp = r.headers["content-security-policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp
        and "frame-ancestors 'none'" in csp
    )
    assert r.headers["x-content-type-options"] == "nosniff"
    refs = re.findall(r'/static/([\w.-]+)\?v=([0-9a-f]{12})"', r.text)
    assert {name for name, _ in refs} >= {"app.js", "style.css", "favicon.svg"}
    assert "<script" in r.text and not re.search(r"<script(?![^>]*\bsrc=)", r.text), (
        "no inline scripts"
    )
    again = web_client.get("/", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and not again.content
    assert web_client.head("/").status_code == 200


def test_static_assets_cache_headers_gzip_and_404(web_client: TestClient) -> None:
    _, assets = load_assets()
    js = assets["app.js"]
    fresh = web_client.get(f"/static/app.js?v={js.version}", headers={"Accept-Encoding": "gzip"})
    assert fresh.status_code == 200
    assert fresh.headers["content-type"].startswith("text/javascript")
    assert fresh.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert fresh.headers["content-encoding"] == "gzip" and fresh.content == js.body  # httpx decodes
    plain = web_client.get("/static/style.css", headers={"Accept-Encoding": "identity"})
    assert plain.headers["cache-control"] == "no-cache" and "content-encoding" not in plain.headers
    assert plain.headers["content-type"].startswith("text/css")
    assert (
        web_client.get(
            "/static/style.css", headers={"If-None-Match": plain.headers["etag"]}
        ).status_code
        == 304
    )
    stale = web_client.get("/static/app.js?v=000000000000")
    assert stale.headers["cache-control"] == "no-cache"
    for bad in ("/static/nope.js", "/static/..%2Fapp.py", "/static/index.html"):
        r = web_client.get(bad)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", bad


def test_explorer_ships_in_the_package() -> None:
    from stancegraph.api.web import web_dir

    names = {p.name for p in web_dir().iterdir()}
    assert {"index.html", "app.js", "style.css"} <= names
    text = (web_dir() / "app.js").read_text(encoding="utf-8")
    assert "innerHTML" not in text and "insertAdjacentHTML" not in text and "eval(" not in text
    assert not re.search(
        r"https?://(?!w3id\.org|www\.w3\.org|purl\.org|schema\.org|xmlns\.com|www\.wikidata\.org)",
        text,
    ), "no CDN or third-party URL in the front end"


@pytest.mark.slow  # starts a real server
def test_stancegraph_serve_mounts_the_explorer(live_server: str) -> None:
    r = httpx.get(f"{live_server}/", timeout=10)
    assert r.status_code == 200 and "stancegraph explorer" in r.text, (
        "`stancegraph serve` does not serve the web explorer at /: create_app (api/app.py) "
        "must call api.web.mount_web(app)"
    )


# --------------------------------------------------------------------------- browser


def _serves_explorer(url: str) -> bool:
    try:
        r = httpx.get(f"{url}/", timeout=5)
    except httpx.HTTPError:
        return False
    return r.status_code == 200 and "stancegraph explorer" in r.text


@pytest.fixture(scope="module")
def explorer(live_server: str) -> str:
    """Base URL of ``stancegraph serve`` (uvicorn on 127.0.0.1, seed graph) with the explorer."""
    if not _serves_explorer(live_server):
        pytest.fail("`stancegraph serve` does not serve the web explorer at / (see api/app.py)")
    return live_server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("playwright is not installed (pip install playwright)")
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            args=LAUNCH_ARGS,
        )
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("screenshots")
    print(f"\nscreenshots: {out}")
    return out


class Console:
    """Console errors and uncaught exceptions of a page; ``allow`` excuses expected ones."""

    def __init__(self, page: Any):
        self.errors: list[str] = []
        self.allowed: list[re.Pattern[str]] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def _console(self, msg: Any) -> None:
        if msg.type != "error":
            return
        text = f"{msg.text} @ {msg.location.get('url', '')}"
        for i, pattern in enumerate(self.allowed):
            if pattern.search(text):
                del self.allowed[i]  # each allowance excuses exactly one message
                return
        self.errors.append(text)

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))


@pytest.fixture
def page(browser: Any, explorer: str) -> Iterator[Any]:
    context = browser.new_context(
        base_url=explorer, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    context.set_default_timeout(10_000)
    pg = context.new_page()
    pg.console = Console(pg)
    yield pg
    errors = pg.console.errors
    context.close()
    assert not errors, "console errors:\n" + "\n".join(errors)


def _sparql_count(base: str, where: str) -> int:
    r = httpx.post(
        f"{base}/sparql",
        data={
            "query": f"PREFIX sg: <https://w3id.org/stancegraph/ns#> SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {where} }}"
        },
        headers={"Accept": "application/sparql-results+json"},
        timeout=10,
    )
    r.raise_for_status()
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


@pytest.mark.browser
def test_overview_then_actor_page_with_evidence(page: Any, explorer: str, shots: Path) -> None:
    layout = httpx.get(f"{explorer}/api/analytics/layout", timeout=30).json()
    page.goto("/")
    svg = page.locator("svg.network")
    svg.wait_for()
    assert page.title() == "Stance network — stancegraph"
    assert svg.locator(".node").count() == len(layout["nodes"])
    assert svg.locator("line.edge").count() == len(layout["edges"])
    assert page.locator(".legend li").filter(has_text="skeptical").count() == 1
    assert page.locator('nav a[aria-current="page"]').inner_text() == "Overview"
    page.screenshot(path=shots / "overview.png", full_page=True)

    svg.locator('a[href="#/actor/russia"] circle').click()
    page.wait_for_url(re.compile(r"#/actor/russia$"))
    page.locator("h1", has_text=re.compile("^Russia$")).wait_for()
    page.locator("section.stances").first.wait_for()
    assert page.evaluate("document.activeElement.tagName") == "H1", (
        "focus moves to the new page's heading"
    )
    held = _sparql_count(explorer, f"?s sg:holder <{ID}actor/russia>")
    assert held > 3
    assert (
        page.locator("section.stances").first.locator("h2").inner_text() == f"Stances held ({held})"
    )
    assert page.locator("section.stances").first.locator(":scope > article.stance").count() == held
    quote = page.locator("figure.evidence", has=page.locator("blockquote", has_text=FOMIN_QUOTE))
    assert quote.count() == 1
    caption = quote.locator("figcaption").inner_text()
    assert "Alexander Fomin" in caption and "paragraph 3" in caption and "Istanbul" in caption
    stance = page.locator("article.stance", has=quote)
    assert "commitment" in stance.locator(":scope > .stance-meta").inner_text()
    assert (
        stance.locator(":scope > .stance-title a").get_attribute("href")
        == "#/proposition/reduce-military-activity-kyiv-chernihiv"
    )
    assert "Vladimir Putin" in page.locator(".entity-side").inner_text()  # roles held in Russia
    page.screenshot(path=shots / "actor-russia.png", full_page=True)

    # Shareable: a fresh page opened at the URL shows the same actor; Back returns to the overview.
    page.go_back()
    page.locator("h1", has_text="Stance network").wait_for()
    svg.wait_for()


@pytest.mark.browser
def test_network_nodes_work_with_the_keyboard(page: Any) -> None:
    page.goto("/")
    page.locator("svg.network").wait_for()
    page.locator("a.skip-link").focus()
    page.keyboard.press("Tab")  # the brand link follows the skip link
    # Tab through the page until a node of the drawing has focus (nodes are links).
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('svg.network')"):
            break
    else:
        pytest.fail("no network node is reachable with Tab")
    href = page.evaluate("document.activeElement.getAttribute('href')")
    assert href.startswith("#/actor/")
    assert page.locator("svg.network.focusing line.edge.hl").count() >= 1, (
        "focus highlights the node's edges"
    )
    assert page.locator("svg.network .callout text").count() == 1, "focus shows the full label"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(href) + "$"))
    page.locator("section.stances").first.wait_for()
    assert page.evaluate("document.activeElement.tagName") == "H1"


@pytest.mark.browser
def test_guarantor_matrix_has_the_nine_nominees(page: Any, shots: Path) -> None:
    page.goto("/")
    page.get_by_role("link", name="Guarantors").click()
    page.wait_for_url(re.compile(r"#/guarantors$"))
    table = page.locator("table.matrix")
    table.wait_for()
    rows = table.locator("tbody tr")
    assert rows.count() == 9
    names = {rows.nth(i).locator("th[scope=row]").inner_text() for i in range(9)}
    assert names == NOMINEES
    assert table.locator("thead th[scope=col]").filter(has_text="Nominated by Ukraine").count() == 1
    row = {
        n: table.locator("tbody tr", has=page.locator("th", has_text=re.compile(f"^{n}$")))
        for n in ("Canada", "Turkey")
    }
    assert "asserted" in row["Canada"].inner_text() and "possible" in row["Turkey"].inner_text()
    # model v2: per-nominee acceptability; Russia's view is unknown, not an objection
    russia = table.locator("thead th.accept-col").filter(has_text="Russia")
    assert russia.count() == 1
    assert table.locator(f'td.accept-unknown[data-party="{ID}actor/russia"]').count() == 9
    assert table.locator(f'td.accept-accepts[data-party="{ID}actor/ukraine"]').count() == 9
    assert table.locator("td.accept-objects").count() == 0
    assert "unknown (no stance)" in row["Turkey"].inner_text()
    assert table.locator("tbody th a").first.get_attribute("href").startswith("#/actor/")
    page.screenshot(path=shots / "guarantors.png", full_page=True)


@pytest.mark.browser
def test_proposition_and_conditions_pages(page: Any, explorer: str, shots: Path) -> None:
    page.goto("/#/proposition/peace-agreement")
    page.locator("h1", has_text="Peace agreement").wait_for()
    # model v2: positions are preferences; expectations (forecasts) are listed apart
    on_it = f"?s sg:target <{ID}proposition/peace-agreement>"
    n = _sparql_count(explorer, f"{on_it} FILTER NOT EXISTS {{ ?s a sg:Expectation }}")
    e = _sparql_count(explorer, f"{on_it} . ?s a sg:Expectation")
    assert n >= 1 and e >= 1
    assert page.locator(".entity-main h2").first.inner_text() == f"Positions ({n})"
    groups = page.locator("section.polarity-group h3")
    assert groups.count() >= 1  # grouped by polarity
    assert page.locator("section.polarity-group article.stance").count() == n
    expectations = page.locator("section.expectations")
    assert expectations.locator("h2").inner_text() == f"Expectations ({e})"
    assert expectations.locator("article.stance .badge.expect").count() == e
    assert (
        page.locator(".entity-side").get_by_text("only if", exact=False).count()
        + page.locator(".entity-side .badge.cond").count()
        >= 1
    )
    page.screenshot(path=shots / "proposition.png", full_page=True)

    page.get_by_role("link", name="Conditions", exact=True).first.click()
    page.wait_for_url(re.compile(r"#/conditions$"))
    page.locator("svg.depgraph").wait_for()
    conditions = httpx.get(f"{explorer}/api/analytics/conditions", timeout=30).json()
    assert page.locator("table.data tbody tr").count() == len(conditions["dependencies"])
    if not conditions["deadlocks"]:
        assert "No deadlocks" in page.locator("main").inner_text()
    page.screenshot(path=shots / "conditions.png", full_page=True)


@pytest.mark.browser
def test_example_query_table_and_csv_download(page: Any, shots: Path) -> None:
    page.goto("/#/query")
    button = page.locator('button[data-example="guarantor-nominations"]')
    button.click()
    page.wait_for_url(re.compile(r"#/query\?example=guarantor-nominations$"))
    table = page.locator("table.results")
    table.wait_for()
    assert table.locator("tbody tr").count() == 9
    headers = table.locator("thead th").all_inner_texts()
    assert "?nominee" in headers and "?modalityKey" in headers
    canada = table.locator('a[href="#/actor/canada"]')
    assert canada.count() == 1 and canada.inner_text() == "id:actor/canada"
    assert "9 rows" in page.locator(".query-status").inner_text()
    assert "guarantor" in page.locator("textarea").input_value().lower()
    page.screenshot(path=shots / "query-result.png", full_page=True)

    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    table_csv = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert table_csv[0][:2] == ["nominee", "nomineeLabel"] and len(table_csv) == 10
    with page.expect_download() as info:
        page.get_by_role("button", name="Download JSON").click()
    assert '"bindings"' in Path(info.value.path()).read_text(encoding="utf-8")

    # The link is shareable: a new page at the query URL runs the same query.
    query = page.locator("textarea").input_value()
    page.get_by_role("button", name="Run query").click()
    page.wait_for_url(re.compile(r"#/query\?q="))
    shared = page.url
    other = page.context.new_page()
    other_console = Console(other)
    other.goto(shared)
    other.locator("table.results tbody tr").nth(8).wait_for()
    assert other.locator("textarea").input_value() == query
    assert other.locator("table.results tbody tr").count() == 9
    assert not other_console.errors, other_console.errors


@pytest.mark.browser
def test_broken_query_shows_the_server_message(page: Any, shots: Path) -> None:
    page.goto("/#/query")
    page.locator("textarea").fill("SELECT * WHERE {")
    # The browser itself logs the 400 answer as a console error: excuse exactly that one.
    page.console.allow(r"status of 400 .*@ .*/sparql$")
    page.keyboard.press("Control+Enter")
    alert = page.locator(".query-error [role=alert]")
    alert.wait_for()
    text = alert.inner_text()
    assert "SPARQL query syntax error" in text and "400" in text and "Line 1, column 17" in text
    assert page.locator("table.results").count() == 0
    assert page.get_by_role("button", name="Download CSV").is_disabled()
    page.screenshot(path=shots / "query-error.png", full_page=True)


@pytest.mark.browser
def test_narrow_screen(browser: Any, explorer: str, shots: Path) -> None:
    context = browser.new_context(
        base_url=explorer,
        viewport={"width": 375, "height": 812},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    pg = context.new_page()
    console = Console(pg)
    try:
        pg.goto("/")
        pg.locator("svg.network").wait_for()
        overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        assert pg.evaluate(overflow) <= 1, "no sideways scrolling of the page itself"
        assert pg.get_by_role("link", name="Query").is_visible()
        pg.screenshot(path=shots / "narrow-overview.png", full_page=True)
        pg.goto("/#/actor/ukraine")
        pg.locator("section.stances").first.wait_for()
        assert pg.evaluate(overflow) <= 1
        side, main = (
            pg.locator(".entity-side").bounding_box(),
            pg.locator(".entity-main").bounding_box(),
        )
        assert main["y"] >= side["y"] + side["height"] - 1, "one column: stances below the facts"
        pg.screenshot(path=shots / "narrow-actor.png", full_page=True)
        pg.goto("/#/guarantors")
        pg.locator("table.matrix").wait_for()
        assert pg.evaluate(overflow) <= 1, "wide tables scroll inside their own box"
        pg.screenshot(path=shots / "narrow-guarantors.png", full_page=True)
    finally:
        context.close()
    assert not console.errors, console.errors


XSS = '<img src=x onerror="window.__pwned=1">'
XSS_TTL = XSS.replace('"', '\\"')  # as a Turtle string


@pytest.mark.browser
def test_data_is_never_parsed_as_html(browser: Any, serve: Any, tmp_path: Path) -> None:
    ttl = tmp_path / "evil.ttl"
    ttl.write_text(
        f"""@prefix sg: <https://w3id.org/stancegraph/ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <https://schema.org/> .
sg:StateActor rdfs:subClassOf sg:Actor .
<{ID}actor/mallory> a sg:StateActor ; rdfs:label "Mallory {XSS_TTL}" ;
    schema:description "</p><script>window.__pwned=2</script>" .
<{ID}proposition/p> a sg:Proposition ; rdfs:label "P <b>bold</b>" .
""",
        encoding="utf-8",
    )
    server = serve(str(ttl))
    context = browser.new_context(base_url=server.url)
    pg = context.new_page()
    console = Console(pg)
    try:
        pg.goto("/#/actor/mallory")
        pg.locator("h1").wait_for()
        assert pg.locator("h1").inner_text() == f"Mallory {XSS}"
        assert pg.locator("main img").count() == 0 and pg.locator("main script").count() == 0
        pg.goto("/#/query")
        pg.locator("textarea").fill(
            "SELECT ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } ORDER BY ?l"
        )
        pg.get_by_role("button", name="Run query").click()
        pg.locator("table.results tbody tr").nth(1).wait_for()
        assert (
            pg.locator("table.results b").count() == 0
            and pg.locator("table.results img").count() == 0
        )
        assert pg.evaluate("window.__pwned") is None
    finally:
        context.close()
    assert not console.errors, console.errors


@pytest.mark.browser
def test_actor_position_over_time(browser: Any, serve: Any) -> None:
    """Model v2: the actor page draws each position change (synthetic dataset: two
    reports a month apart)."""
    data = Path(__file__).parent / "data" / "position-change"
    server = serve(*(str(p) for p in sorted(data.glob("*.yaml"))))
    context = browser.new_context(base_url=server.url)
    context.set_default_timeout(10_000)
    pg = context.new_page()
    console = Console(pg)
    try:
        pg.goto("/#/actor/state-a")
        history = pg.locator("section.history")
        history.locator("table.history-table").wait_for()
        row = history.locator("tbody tr", has=pg.locator("th", has_text="Ceasefire"))
        assert row.count() == 1
        assert row.locator(".pos.superseded .badge").inner_text() == "oppose"
        assert row.locator(".pos.current .badge").inner_text() == "conditional support"
        assert "1 position change" in history.locator("caption").inner_text()
        pg.goto("/#/actor/state-b")
        pg.locator("section.history table.history-table").wait_for()
        assert pg.locator("section.history tbody tr").count() == 1  # the withdrawal never changed
    finally:
        context.close()
    assert not console.errors, console.errors
