"""The coding workbench (#/code/SOURCE) in real Chromium through Playwright, against a
real server with writes on: paste a text, select a quote, fill the form (creating an
actor inline), save, then find the stance on the actor page, in the network and through
/sparql; an invalid field shows its error inline and nothing is written; the same flow
with the keyboard only, including edit and delete; independent coding into the coder's
own space, compared with a second coder, merged and adjudicated from the workbench. Any
console error fails a test."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import running_server
from test_browser import CHROMIUM, LAUNCH_ARGS, Console, browser  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow  # drives a real headless Chromium: deselected by -m "not slow"

ALICE = "workbench-alice-token-0123456789"
BOB = "workbench-bob-token-0123456789"
SOURCE = "2022-03-29-istanbul-talks-report"
ID = "https://w3id.org/stancegraph/id/"
TEXT = (
    "Talks in Istanbul end with a pledge\n"
    "\n"
    "Updated at midnight\n"
    "President Volodymyr Zelensky said on Tuesday: We want a ceasefire now, and we will "
    "not give up any land.\n"
    "A new envoy, Mira Testova, told reporters that a humanitarian corridor must open "
    "before any summit.\n"
    "The Kremlin called the talks meaningful.\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("workbench")
    coders = tmp / "coders.toml"
    coders.write_text(f'[coders]\nalice = "{ALICE}"\nbob = "{BOB}"\n')
    env = {"STANCEGRAPH_CODERS_FILE": str(coders), "STANCEGRAPH_WORKERS": "1"}
    with running_server(env=env, tmp=tmp) as srv:
        yield srv.url


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:  # noqa: F811
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    pg = context.new_page()
    pg.console = Console(pg)
    yield pg
    # The browser logs every 4xx answer; a dry run that finds errors is one, by design.
    expected = re.compile(
        r"status of (409|422) .*/api/(sources/[^/]+/stances|stances/[^/?]+"
        r"|sources/[^/]+/coders/[^/]+/stances(/[^/?]+)?)\?dry_run=true"
    )
    errors = [e for e in pg.console.errors if not expected.search(e)]
    context.close()
    assert not errors, "console errors:\n" + "\n".join(errors)


def ask(server: str, query: str) -> bool:
    r = httpx.post(
        f"{server}/sparql",
        data={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    r.raise_for_status()
    return bool(r.json()["boolean"])


def expect(locator: Any) -> Any:
    """Playwright's ``expect`` with a generous deadline: its default (5 s) is not the
    context's, and a step that waits for a validated write (creating an actor inline)
    overran it on a loaded machine."""
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=30_000)
    return playwright_expect(locator)


def open_workbench(page: Any) -> None:
    page.goto(f"/#/code/{SOURCE}")
    page.locator("h1", has_text="Code:").wait_for()
    assert page.locator('nav a[aria-current="page"]').inner_text() == "Code"
    page.locator("#wb-token").fill(ALICE)
    page.locator("#wb-paste").fill(TEXT)
    page.locator("#wb-use-text").click()
    page.locator(".wb-para").first.wait_for()


def select_quote(page: Any, quote: str) -> None:
    """Select ``quote`` in the rendered text, as a mouse drag does, and release."""
    page.evaluate(
        """(quote) => {
          const box = document.getElementById('wb-text');
          const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
          const nodes = [];
          let all = '';
          for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            nodes.push([n, all.length]);
            all += n.textContent;
          }
          const i = all.indexOf(quote);
          if (i < 0) throw new Error('quote not in the text: ' + quote);
          const at = (k) => {
            for (let j = nodes.length - 1; j >= 0; j--) {
              if (nodes[j][1] <= k) return [nodes[j][0], k - nodes[j][1]];
            }
          };
          const r = document.createRange();
          r.setStart(...at(i));
          r.setEnd(...at(i + quote.length));
          const sel = window.getSelection();
          sel.removeAllRanges();
          sel.addRange(r);
          box.dispatchEvent(new MouseEvent('mouseup', { bubbles: true }));
        }""",
        quote,
    )


def wait_valid(page: Any) -> None:
    page.locator('#wb-form[data-valid="true"]').wait_for()


@pytest.mark.browser
def test_paste_select_fill_save_then_actor_page_network_and_sparql(
    page: Any, server: str, tmp_path: Path
) -> None:
    open_workbench(page)
    paragraphs = page.locator(".wb-para")
    assert paragraphs.count() == 5
    assert paragraphs.nth(2).get_attribute("data-para") == "3"
    quote = "a humanitarian corridor must open before any summit"
    select_quote(page, quote)
    form = page.locator("#wb-form")
    form.wait_for()
    assert quote in page.locator("#wb-quote").inner_text()
    assert "paragraph 4" in page.locator("#wb-quote").inner_text()
    # The envoy is not in the graph yet: create the actor inline, as the holder.
    page.locator("#wb-new-actor").click()
    page.locator("#wb-new-actor-label").fill("Mira Testova")
    assert page.locator("#wb-new-actor-id").input_value() == "mira-testova"
    page.locator("#wb-new-actor-type").select_option("Person")
    page.get_by_role("button", name="Create actor").click()
    expect(page.locator("#wb-holder")).to_have_value("mira-testova")
    page.locator("#wb-speaker").fill("mira-testova")
    page.locator("#wb-target").fill("Ceasefire between Russia and Ukraine")
    page.locator("#wb-polarity").select_option("support")
    page.locator("#wb-speech_act").select_option("demand")
    wait_valid(page)
    assert page.locator("#wb-id").input_value() == "mira-testova-support-ceasefire"
    page.screenshot(path=tmp_path / "workbench-form.png", full_page=True)
    page.locator("#wb-save").click()
    page.locator("#wb-saved-link").wait_for()
    assert "as alice" in page.locator("#wb-status").inner_text()
    mark = page.locator('mark.wb-mark[data-stances="mira-testova-support-ceasefire"]')
    mark.wait_for()
    assert mark.inner_text() == quote
    # Through /sparql: the stance, its selectors, and who coded it.
    assert ask(
        server,
        f"""PREFIX sg: <https://w3id.org/stancegraph/ns#> PREFIX oa: <http://www.w3.org/ns/oa#>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        ASK {{ <{ID}stance/mira-testova-support-ceasefire> sg:holder <{ID}actor/mira-testova> ;
          sg:target <{ID}proposition/ceasefire> ; prov:wasAttributedTo <{ID}coder/alice> ;
          sg:hasEvidence/oa:hasTarget ?t . ?t sg:paragraph 4 ; oa:hasSelector ?q, ?p .
          ?q oa:exact "{quote}"@en ; oa:prefix ?pre . ?p oa:start ?s ; oa:end ?e }}""",
    )
    # On the actor page.
    page.goto("/#/actor/mira-testova")
    page.locator("h1", has_text="Mira Testova").wait_for()
    page.locator("figure.evidence blockquote", has_text=quote).wait_for()
    coded = page.locator("article.stance", has=page.locator("blockquote", has_text=quote))
    assert coded.locator(".stance-coded").inner_text().startswith("Coded by alice on 20")
    page.goto("/#/stance/mira-testova-support-ceasefire")
    page.locator("figure.evidence blockquote", has_text=quote).wait_for()
    assert page.locator(".stance-coded").inner_text().startswith("Coded by alice on 20")
    # In the network, once the analytics have caught up with the write (computed in the
    # background; a page opened before that shows the previous network).
    deadline = time.monotonic() + 120
    while True:
        page.goto("/")
        page.locator("svg.network").wait_for()
        if page.locator('svg.network a[href="#/actor/mira-testova"]').count() == 1:
            break
        assert time.monotonic() < deadline, "the new stance never reached the network"
        page.wait_for_timeout(500)


@pytest.mark.browser
def test_invalid_field_shows_inline_and_nothing_is_written(page: Any, server: str) -> None:
    open_workbench(page)
    select_quote(page, "The Kremlin called the talks meaningful")
    page.locator("#wb-form").wait_for()
    page.locator("#wb-holder").fill("nobody-we-know")
    page.locator("#wb-target").fill("ceasefire")
    page.locator("#wb-id").fill("kremlin-invalid-check")
    err = page.locator("#wb-err-holder")
    err.wait_for()
    expect(err).to_contain_text("unknown actor")
    assert "unknown actor 'nobody-we-know'" in err.inner_text()
    assert page.locator("#wb-holder").get_attribute("aria-invalid") == "true"
    assert page.locator("#wb-err-target").inner_text() == ""
    page.console.allow(r"status of 422 .*/api/sources/[^/]+/stances$")  # the refused save
    page.locator("#wb-save").click()
    expect(page.locator("#wb-status")).to_have_text(re.compile("^Not saved"))
    assert page.locator("#wb-form").is_visible()
    assert not ask(server, f"ASK {{ <{ID}stance/kremlin-invalid-check> ?p ?o }}")
    # Fixing the field clears the error.
    page.locator("#wb-holder").fill("russia")
    wait_valid(page)
    expect(page.locator("#wb-err-holder")).to_have_text("")


@pytest.mark.browser
def test_keyboard_only_code_edit_delete(page: Any, server: str) -> None:
    page.goto(f"/#/code/{SOURCE}")
    page.locator("#wb-token").fill(ALICE)
    page.keyboard.press("Alt+T")  # no text yet: the paste box
    assert page.evaluate("document.activeElement.id") == "wb-paste"
    page.keyboard.insert_text(TEXT)
    page.keyboard.press("Control+Enter")
    page.locator(".wb-para").nth(4).wait_for()
    assert page.evaluate("document.activeElement.id") == "wb-text"
    page.keyboard.press("Alt+F")
    assert page.evaluate("document.activeElement.id") == "wb-find"
    page.keyboard.type("We want a ceasefire now")
    page.keyboard.press("Enter")
    page.locator("#wb-form").wait_for()
    # The speaker is guessed from "Zelensky" near the quote; the holder has focus.
    assert page.locator("#wb-speaker").input_value() == "volodymyr-zelensky"
    assert page.evaluate("document.activeElement.id") == "wb-holder"
    page.keyboard.type("ukraine")
    for _ in range(3):  # new-actor link, speaker, target
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "wb-target"
    page.keyboard.type("ceasefire")
    wait_valid(page)
    sid = page.locator("#wb-id").input_value()
    assert sid.startswith("ukraine-support-ceasefire")
    page.keyboard.press("Control+Enter")
    page.locator("#wb-saved-link").wait_for()
    assert ask(server, f"ASK {{ <{ID}stance/{sid}> ?p ?o }}")
    # Back to the quote with Alt+J, edit it with Enter: polarity to oppose, save.
    page.locator(f'mark.wb-mark[data-stances~="{sid}"]').wait_for()
    for _ in range(10):
        page.keyboard.press("Alt+J")
        if sid in (page.evaluate("document.activeElement.dataset.stances || ''").split()):
            break
    else:
        pytest.fail("Alt+J never reached the new quote")
    page.keyboard.press("Enter")
    page.locator("#wb-form-title", has_text=f"Edit stance {sid}").wait_for()
    assert page.locator("#wb-holder").input_value() == "ukraine"
    page.locator("#wb-polarity").focus()
    page.keyboard.press("Home")  # then down through the polarities, by keyboard only
    for _ in range(20):
        if page.locator("#wb-polarity").input_value() == "oppose":
            break
        page.keyboard.press("ArrowDown")
    assert page.locator("#wb-polarity").input_value() == "oppose"
    wait_valid(page)
    page.keyboard.press("Control+Enter")
    page.locator("#wb-saved-link").wait_for()
    assert ask(
        server,
        f"ASK {{ <{ID}stance/{sid}> <https://w3id.org/stancegraph/ns#polarity> "
        "<https://w3id.org/stancegraph/vocab/polarity/oppose> }",
    )
    # Delete: Alt+J to the quote, Enter to edit, Alt+Shift+D twice.
    page.locator("#wb-text").focus()
    for _ in range(10):
        page.keyboard.press("Alt+J")
        if sid in (page.evaluate("document.activeElement.dataset.stances || ''").split()):
            break
    page.keyboard.press("Enter")
    page.locator("#wb-form-title", has_text=f"Edit stance {sid}").wait_for()
    page.keyboard.press("Alt+Shift+D")
    assert page.locator("#wb-delete").inner_text() == "Confirm delete"
    page.keyboard.press("Alt+Shift+D")
    expect(page.locator("#wb-status")).to_have_text(re.compile("^Deleted"))
    assert not ask(server, f"ASK {{ <{ID}stance/{sid}> ?p ?o }}")
    page.keyboard.press("Escape")
    assert not page.locator("#wb-form").is_visible()


@pytest.mark.browser
def test_existing_evidence_is_re_anchored_after_reload(page: Any, server: str) -> None:
    open_workbench(page)
    select_quote(page, "we will not give up any land")
    page.locator("#wb-form").wait_for()
    page.locator("#wb-holder").fill("ukraine")
    page.locator("#wb-target").fill("ceasefire")
    page.locator("#wb-polarity").select_option("reject")
    wait_valid(page)
    page.locator("#wb-save").click()
    page.locator("#wb-saved-link").wait_for()
    # Another coder takes the id the form would suggest next: the form moves on to a free one.
    r = httpx.post(
        f"{server}/api/sources/{SOURCE}/stances",
        json={
            "id": "ukraine-reject-ceasefire-2",
            "holder": "ukraine",
            "target": "ceasefire",
            "polarity": "reject",
            "stated": "2022-03-29",
            "evidence": [{"paragraph": 4}],
        },
        headers={"Authorization": f"Bearer {ALICE}"},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    select_quote(page, "We want a ceasefire now")
    page.locator("#wb-holder").fill("ukraine")
    page.locator("#wb-target").fill("ceasefire")
    page.locator("#wb-polarity").select_option("reject")
    wait_valid(page)
    assert page.locator("#wb-id").input_value() == "ukraine-reject-ceasefire-3"
    page.keyboard.press("Escape")
    # The text is kept in this browser only; a reload anchors the stored quote again.
    page.reload()
    mark = page.locator("mark.wb-mark", has_text=re.compile("^we will not give up any land$"))
    mark.wait_for()
    assert page.locator(".wb-para").count() == 5
    # Blind coding: only this coder's stances (the seed's were coded by nobody here).
    expect(page.locator("#wb-coder")).to_have_text(" Coding as alice.")
    everyone = page.locator("#wb-stances li").count()
    page.locator("#wb-blind").check()
    mine = page.locator("#wb-stances li")
    assert 0 < mine.count() < everyone
    for i in range(mine.count()):
        assert "coded by alice" in mine.nth(i).inner_text()


@pytest.mark.browser
def test_keyboard_inline_actor_proposition_and_condition(page: Any, server: str) -> None:
    open_workbench(page)
    page.locator("#wb-text").focus()
    page.keyboard.press("Alt+F")
    page.keyboard.type("The Kremlin called")
    page.keyboard.press("Enter")
    page.locator("#wb-form").wait_for()
    page.keyboard.press("Alt+A")  # a new actor, for the holder
    assert page.evaluate("document.activeElement.id") == "wb-new-actor-label"
    page.keyboard.type("Kremlin Press Office")
    page.keyboard.press("Tab")  # the id, derived from the name
    page.keyboard.press("Tab")  # the type: typing picks an option
    page.keyboard.type("Gov")
    page.keyboard.press("Tab")  # "Create actor"
    page.keyboard.press("Enter")
    expect(page.locator("#wb-holder")).to_have_value("kremlin-press-office")
    page.keyboard.press("Alt+P")  # a new proposition, for the target
    page.keyboard.type("Talks continue next week")
    page.keyboard.press("Enter")
    expect(page.locator("#wb-target")).to_have_value("talks-continue-next-week")
    page.keyboard.press("Alt+C")  # a condition: its 'requires' field has focus
    assert page.evaluate("document.activeElement.dataset.cond") == "requires"
    page.keyboard.type("ceasefire")
    wait_valid(page)
    sid = page.locator("#wb-id").input_value()
    page.keyboard.press("Control+Enter")
    page.locator("#wb-saved-link").wait_for()
    assert ask(
        server,
        f"""PREFIX sg: <https://w3id.org/stancegraph/ns#>
        ASK {{ <{ID}stance/{sid}> sg:holder <{ID}actor/kremlin-press-office> ;
          sg:target <{ID}proposition/talks-continue-next-week> ;
          sg:condition/sg:requires <{ID}proposition/ceasefire> .
          <{ID}actor/kremlin-press-office> a sg:GovernmentBody }}""",
    )


@pytest.mark.browser
def test_dropping_a_text_file_loads_it(page: Any) -> None:
    page.goto(f"/#/code/{SOURCE}")
    page.locator("#wb-paste").wait_for()
    transfer = page.evaluate_handle(
        """(text) => {
          const dt = new DataTransfer();
          dt.items.add(new File([text], 'source.txt', { type: 'text/plain' }));
          return dt;
        }""",
        TEXT,
    )
    page.dispatch_event("#wb-paste", "drop", {"dataTransfer": transfer})
    page.locator(".wb-para").nth(4).wait_for()
    assert page.locator(".wb-para").count() == 5
    assert not page.locator("#wb-paste").is_visible()


@pytest.mark.browser
def test_independent_coding_saves_to_own_space_then_merge_shows_both_coders(
    page: Any, server: str
) -> None:
    open_workbench(page)
    page.locator("#wb-own").check()
    expect(page.locator("#wb-space")).to_contain_text("alice’s own space")
    quote = "The Kremlin called the talks meaningful"
    select_quote(page, quote)
    page.locator("#wb-form").wait_for()
    page.locator("#wb-holder").fill("russia")
    page.locator("#wb-target").fill("Ceasefire between Russia and Ukraine")
    page.locator("#wb-polarity").select_option("support")
    page.locator("#wb-id").fill("own-kremlin-talks")
    wait_valid(page)
    page.locator("#wb-save").click()
    page.locator("#wb-saved-link").wait_for()
    assert "own space" in page.locator("#wb-status").inner_text()
    item = page.locator("#wb-stances li", has_text="own-kremlin-talks")
    expect(item).to_contain_text("mine, not merged")
    page.locator('mark.wb-mark[data-stances="own-kremlin-talks"]').wait_for()
    # Not in the record: no stance, only the draft in Alice's coding graph.
    stance = f"<{ID}stance/own-kremlin-talks>"
    assert not ask(server, f"ASK {{ {stance} ?p ?o }}")
    assert ask(
        server,
        "PREFIX sg: <https://w3id.org/stancegraph/ns#> ASK { GRAPH "
        f"<{ID}graph/coding/{SOURCE}/alice> {{ <{ID}coding/{SOURCE}/alice/own-kremlin-talks> "
        "a sg:CodedStance } }",
    )
    # Bob codes the same unit in his space; a merge promotes it, attributed to both.
    record = httpx.get(
        f"{server}/api/sources/{SOURCE}/coders/alice/stances/own-kremlin-talks", timeout=30
    ).json()["record"]
    auth = {"Authorization": f"Bearer {BOB}"}
    r = httpx.post(
        f"{server}/api/sources/{SOURCE}/coders/bob/stances",
        json={**record, "id": "bob-kremlin"},
        headers=auth,
        timeout=30,
    )
    assert r.status_code == 201, r.text
    # Compare with Bob and merge, in the workbench.
    page.locator("#wb-other").fill("bob")
    page.locator("#wb-compare").click()
    expect(page.locator("#wb-alpha")).to_contain_text("1 agreed and not merged")
    page.locator("#wb-merge").click()
    expect(page.locator("#wb-status")).to_contain_text("Merged 1 stance(s) into the record")
    assert ask(server, f"ASK {{ {stance} ?p ?o }}")
    # A disputed unit: Bob codes the first paragraph the other way; adjudicate for Alice.
    first = "Talks in Istanbul end with a pledge"
    select_quote(page, first)
    page.locator("#wb-form").wait_for()
    page.locator("#wb-holder").fill("russia")
    page.locator("#wb-target").fill("Ceasefire between Russia and Ukraine")
    page.locator("#wb-polarity").select_option("support")
    page.locator("#wb-id").fill("own-pledge")
    wait_valid(page)
    page.locator("#wb-save").click()
    expect(page.locator("#wb-status")).to_contain_text("Saved own-pledge")
    mine = httpx.get(
        f"{server}/api/sources/{SOURCE}/coders/alice/stances/own-pledge", timeout=30
    ).json()["record"]
    r = httpx.post(
        f"{server}/api/sources/{SOURCE}/coders/bob/stances",
        json={**mine, "id": "bob-pledge", "polarity": "oppose"},
        headers=auth,
        timeout=30,
    )
    assert r.status_code == 201, r.text
    page.locator("#wb-compare").click()
    dispute = page.locator("#wb-disputes li", has_text="own-pledge")
    expect(dispute).to_contain_text("bob oppose (bob-pledge)")
    dispute.locator('[data-accept="alice:own-pledge"]').click()
    expect(page.locator("#wb-status")).to_contain_text(
        "Merged 1 stance(s) into the record: own-pledge"
    )
    expect(page.locator("#wb-disputes")).to_have_count(0)
    assert ask(
        server,
        "PREFIX sg: <https://w3id.org/stancegraph/ns#> "
        f"ASK {{ <{ID}stance/own-pledge> sg:polarity ?p FILTER(STRENDS(STR(?p), '/support')) }}",
    )
    page.reload()
    page.locator(".wb-para").first.wait_for()
    expect(page.locator("#wb-stances li", has_text="own-kremlin-talks")).to_contain_text(
        "merged as own-kremlin-talks"
    )
    page.locator("#wb-with-merged").check()
    page.goto("/#/stance/own-kremlin-talks")
    page.locator("figure.evidence blockquote", has_text=quote).wait_for()
    expect(page.locator(".stance-coded")).to_contain_text("alice and bob")
    expect(page.locator(".stance-coded")).to_contain_text("merged by alice")
