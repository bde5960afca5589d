"""Coding: one coder's save round trip, and the workbench opening a long text (issue #17).

Side by side in one run:

- ``save-dry-run`` and ``save-write`` (per size): ``stancegraph serve --store DIR``
  (on-disk, the generated graph) with a coders file; one coder, sequentially, sends a new
  stance record (holder, speaker, target, polarity, speech act, evidence with quote,
  prefix, suffix and position) to ``POST /api/sources/SOURCE/stances``, first with
  ``?dry_run=true`` and then for real: median and p99 of the HTTP round trip. Baseline
  ``sparql-insert``: a stance of the same shape (copied from the store with fresh IRIs)
  as ``INSERT DATA`` through ``/sparql``, the same validated write path without the record
  compiler; ``ratio`` = save-write p50 / sparql-insert p50. ``own-dry-run`` and
  ``own-write``: the same records saved in the coder's own space (independent coding,
  ``POST /api/sources/SOURCE/coders/CODER/stances``: the record is checked as the stance
  it would become, then written as a draft), same ratio.
- ``workbench-open`` (``--browser``): headless Chromium opens ``#/code/SOURCE`` for a
  source with ``--stances`` coded stances whose quotes sit in a ``--words``-word text (kept
  in the browser, as a coder's would be), until every quote is highlighted; median of
  ``--opens`` page loads. Baseline ``workbench-open-no-text``: the same view without the
  text (data only); ``ratio`` = with / without.

    python -m benchmarks.coding --sizes 10k,100k,1m --saves 40 --browser
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox

from benchmarks import common
from benchmarks.http import free_port
from benchmarks.writes import StanceTemplate, _serving, make_store

FAMILY = "coding"
TOKEN = "bench-coder-token-0123456789"
ID = "https://w3id.org/stancegraph/id/"
SG = "https://w3id.org/stancegraph/ns#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def _slugs(store_path: Path) -> tuple[str, list[str], list[str], list[str]]:
    """A source, some actors, people and propositions of the generated graph."""
    store = ox.Store.read_only(str(store_path))

    def of(cls: str, kind: str, n: int) -> list[str]:
        out = []
        for q in store.quads_for_pattern(None, RDF_TYPE, ox.NamedNode(cls)):
            v = q.subject.value
            if v.startswith(f"{ID}{kind}/") and "/" not in v[len(f"{ID}{kind}/") :]:
                out.append(v.rsplit("/", 1)[-1])
            if len(out) >= n:
                break
        return out

    sources = of("http://www.w3.org/ns/prov#Entity", "source", 1)
    states = of(SG + "StateActor", "actor", 20)
    people = of(SG + "Person", "actor", 20)
    props = of(SG + "Proposition", "proposition", 20)
    return sources[0], states, people, props


def _record(
    i: int, tag: str, holders: list[str], people: list[str], props: list[str]
) -> dict[str, Any]:
    start = 100 + 7 * i
    return {
        "id": f"bench-{tag}-{i}",
        "holder": holders[i % len(holders)],
        "voiced_by": people[i % len(people)],
        "target": props[i % len(props)],
        "polarity": ["support", "oppose", "skeptical", "commitment"][i % 4],
        "speech_act": "demand",
        "stated": "2022-03-29",
        "evidence": [
            {
                "paragraph": 3,
                "quote": f"we shall see about proposal {i}",
                "prefix": "the minister said that ",
                "suffix": " in the coming days",
                "start": start,
                "end": start + 30,
                "speaker": people[i % len(people)],
            }
        ],
    }


def measure_saves(size: str, args: Any, tmp: Path) -> list[dict[str, Any]]:
    store = make_store(size, args, tmp)
    source, holders, people, props = _slugs(store)
    template = StanceTemplate(store)
    coders = tmp / "coders.toml"
    coders.write_text(f'[coders]\nbench = "{TOKEN}"\n')
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable,
        "-m",
        "stancegraph",
        "serve",
        "--store",
        str(store),
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    headers = {"Authorization": f"Bearer {TOKEN}"}
    dry: list[float] = []
    write: list[float] = []
    own_dry: list[float] = []
    own_write: list[float] = []
    sparql: list[float] = []
    own = f"{base}/api/sources/{source}/coders/bench/stances"
    url = f"{base}/api/sources/{source}/stances"
    with (
        _serving(cmd, f"{base}/healthz", {"STANCEGRAPH_CODERS_FILE": str(coders)}),
        httpx.Client(timeout=60) as client,
    ):
        for i in range(args.saves + 2):  # the first two warm the caches, not timed
            rec = _record(i, size, holders, people, props)
            t = time.perf_counter()
            r = client.post(url, json=rec, headers=headers, params={"dry_run": "true"})
            d = time.perf_counter() - t
            if r.status_code != 200:
                raise RuntimeError(f"dry run: HTTP {r.status_code}: {r.text[:300]}")
            t = time.perf_counter()
            r = client.post(url, json=rec, headers=headers)
            w = time.perf_counter() - t
            if r.status_code != 201:
                raise RuntimeError(f"write: HTTP {r.status_code}: {r.text[:300]}")
            mine = {**rec, "id": f"own-{rec['id']}"}
            t = time.perf_counter()
            r = client.post(own, json=mine, headers=headers, params={"dry_run": "true"})
            od = time.perf_counter() - t
            if r.status_code != 200:
                raise RuntimeError(f"own dry run: HTTP {r.status_code}: {r.text[:300]}")
            t = time.perf_counter()
            r = client.post(own, json=mine, headers=headers)
            ow = time.perf_counter() - t
            if r.status_code != 201:
                raise RuntimeError(f"own write: HTTP {r.status_code}: {r.text[:300]}")
            t = time.perf_counter()
            r = client.post(
                f"{base}/sparql", data={"update": template.update(i, "cb")}, headers=headers
            )
            s = time.perf_counter() - t
            if r.status_code >= 300:
                raise RuntimeError(f"sparql: HTTP {r.status_code}: {r.text[:300]}")
            if i >= 2:
                dry.append(d)
                write.append(w)
                own_dry.append(od)
                own_write.append(ow)
                sparql.append(s)
    base_p50 = common.median_ms(sparql)
    rows = []
    for name, times in (
        ("save-dry-run", dry),
        ("save-write", write),
        ("own-dry-run", own_dry),
        ("own-write", own_write),
    ):
        p50 = common.median_ms(times)
        rows.append(
            common.row(
                FAMILY,
                name,
                "stancegraph-api",
                size,
                p50,
                p99_ms=common.p99_ms(times),
                ratio=round(p50 / base_p50, 2) if p50 and base_p50 else None,
                n=len(times),
                note=(
                    "POST /api/sources/S/coders/C/stances (own space)"
                    if name.startswith("own")
                    else "POST /api/sources/S/stances"
                )
                + ", one coder, sequential; ratio: / sparql-insert p50",
            )
        )
    rows.append(
        common.row(
            FAMILY,
            "sparql-insert",
            "stancegraph-api",
            size,
            base_p50,
            p99_ms=common.p99_ms(sparql),
            n=len(sparql),
            note="same-shape stance as INSERT DATA on /sparql (validated)",
        )
    )
    return rows


# --------------------------------------------------------------------------- the workbench


WORDS = [
    "the",
    "a",
    "minister",
    "said",
    "talks",
    "peace",
    "agreement",
    "guarantee",
    "security",
    "ceasefire",
    "troops",
    "border",
    "withdrawal",
    "sanctions",
    "negotiation",
    "delegation",
    "round",
    "statement",
    "proposal",
    "region",
    "city",
    "state",
    "government",
    "meeting",
    "summit",
    "army",
    "officials",
    "report",
    "week",
    "monday",
    "tuesday",
    "morning",
    "said",
    "that",
    "would",
    "could",
    "must",
    "will",
    "not",
    "any",
    "all",
    "between",
    "with",
    "without",
    "before",
    "after",
    "during",
]


def _text(words: int, rng: random.Random) -> str:
    out: list[str] = []
    para: list[str] = []
    for _ in range(words):
        para.append(rng.choice(WORDS))
        if len(para) >= 100:
            out.append(" ".join(para) + ".")
            para = []
    if para:
        out.append(" ".join(para) + ".")
    return "\n".join(out) + "\n"


def measure_workbench(args: Any, tmp: Path) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    rng = random.Random(17)
    text = _text(args.words, rng)
    lines = text.split("\n")
    source = "bench-workbench-text"
    coders = tmp / "coders.toml"
    coders.write_text(f'[coders]\nbench = "{TOKEN}"\n')
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    cmd = [sys.executable, "-m", "stancegraph", "serve", "--port", str(port), "--workers", "1"]
    times_text: list[float] = []
    times_bare: list[float] = []
    with (
        _serving(cmd, f"{base}/healthz", {"STANCEGRAPH_CODERS_FILE": str(coders)}),
        httpx.Client(timeout=60) as client,
    ):
        r = client.post(
            f"{base}/api/sources",
            json={
                "id": source,
                "title": "Benchmark text",
                "publisher": "afp",
                "published": "2022-03-29",
                "language": "en",
            },
            headers=headers,
        )
        r.raise_for_status()
        actors = ["ukraine", "russia", "united-states", "canada", "france"]
        props = ["ceasefire", "international-security-guarantee", "peace-agreement"]
        starts = sorted(rng.sample(range(len(text) - 60), args.stances))
        for i, start in enumerate(starts):
            while text[start] in " .\n":
                start += 1
            end = start + 30
            para_n = text[:start].count("\n") + 1
            line_end = sum(len(x) + 1 for x in lines[:para_n]) - 1
            end = min(end, line_end)
            quote = text[start:end].strip()
            end = start + len(quote)
            rec = {
                "id": f"bench-wb-{i}",
                "holder": actors[i % len(actors)],
                "target": props[i % len(props)],
                "polarity": "support",
                "stated": "2022-03-29",
                "evidence": [{"paragraph": para_n, "quote": quote, "start": start, "end": end}],
            }
            r = client.post(f"{base}/api/sources/{source}/stances", json=rec, headers=headers)
            if r.status_code != 201:
                raise RuntimeError(f"stance {i}: HTTP {r.status_code}: {r.text[:300]}")
        chromium = shutil.which("chromium") or "/usr/bin/chromium"
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
            )
            for with_text in (True, False) * (args.opens + 1):
                ctx = browser.new_context(base_url=base)
                page = ctx.new_page()
                if with_text:
                    ctx.add_init_script(
                        f"localStorage.setItem({json.dumps('stancegraph.text.' + source)}, {json.dumps(text)})"
                    )
                t = time.perf_counter()
                page.goto(f"/#/code/{source}")
                if with_text:
                    page.locator("mark.wb-mark").nth(args.stances // 2).wait_for(timeout=60_000)
                    page.locator("#wb-stances li").nth(args.stances - 1).wait_for(timeout=60_000)
                else:
                    page.locator("#wb-stances li").nth(args.stances - 1).wait_for(timeout=60_000)
                elapsed = time.perf_counter() - t
                if with_text and page.locator("#wb-unanchored").inner_text():
                    raise RuntimeError(
                        "some quotes were not re-anchored: "
                        + page.locator("#wb-unanchored").inner_text()
                    )
                ctx.close()
                (times_text if with_text else times_bare).append(elapsed)
            browser.close()
    times_text, times_bare = times_text[1:], times_bare[1:]  # the first of each warms up
    with_p50, bare_p50 = common.median_ms(times_text), common.median_ms(times_bare)
    return [
        common.row(
            FAMILY,
            "workbench-open",
            "chromium",
            "seed",
            with_p50,
            ratio=round(with_p50 / bare_p50, 2) if with_p50 and bare_p50 else None,
            n=len(times_text),
            note=f"{args.words}-word text, {args.stances} stances highlighted; ratio: / without text",
        ),
        common.row(
            FAMILY,
            "workbench-open-no-text",
            "chromium",
            "seed",
            bare_p50,
            n=len(times_bare),
            note="the same view without the text (data only)",
        ),
    ]


def run(args: Any) -> list[dict[str, Any]]:
    tmp = Path(tempfile.mkdtemp(prefix="sg-coding-"))
    rows: list[dict[str, Any]] = []
    try:
        for size in args.sizes:
            rows.extend(measure_saves(size, args, tmp))
        if getattr(args, "browser", False):
            rows.extend(measure_workbench(args, tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="10k,100k,1m", type=lambda s: [x for x in s.split(",") if x])
    p.add_argument("--saves", type=int, default=40)
    p.add_argument("--browser", action="store_true", help="also time the workbench in Chromium")
    p.add_argument("--words", type=int, default=5000)
    p.add_argument("--stances", type=int, default=200)
    p.add_argument("--opens", type=int, default=5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--data-dir", type=Path, default=common.DEFAULT_DATA_DIR)
    args = p.parse_args(argv)
    args.quick, args.repeats, args.timeout = False, None, 60.0
    rows = run(args)
    print(common.markdown_table(rows, common.machine()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
