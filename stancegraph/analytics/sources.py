"""Source disagreement: where two sources attribute different things to the same actor.

Reports of one event differ: one names Italy and Russia among the guarantors, another
omits Turkey. This module lines up the stances two sources attribute to the same holder at
the same *occasion* (``sg:occasion``; the statement date when a stance has none) and
reports, per holder and occasion:

- **stances**: a target (propositions made equal across sources by ``skos:exactMatch``)
  with different polarities in the two sources, or present in one only;
- **guarantor lists**: the nominees each source lists, and those it alone lists; nominees
  in both whose modality differs ("possibly Turkey" against "Turkey");
- **conditions**: the requirements each source hangs on the same stance target.

Example (the synthetic fixture of ``tests/data/source-disagreement``)::

    >>> rep = compare_sources(kg, "briefing-report-a", "briefing-report-b")
    >>> rep.guarantor_lists[0]["only_in_b"]   # Italy and Russia
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from ..terms import SPARQL_PREFIXES, iri_of
from .options import plain
from .reading import select

_Q_SOURCE_STANCES = (
    SPARQL_PREFIXES
    + """
SELECT ?stance ?source ?holder ?target ?polarity ?modality ?statedAt ?occasion ?nominee
       ?expectation WHERE {
  ?stance a sg:Stance ; prov:wasDerivedFrom ?source ; sg:holder ?holder ; sg:target ?target ;
          sg:polarity/skos:notation ?polarity ; sg:modality/skos:notation ?modality ;
          sg:statedAt ?statedAt .
  OPTIONAL { ?stance sg:occasion ?occasion }
  OPTIONAL { ?stance sg:nominee ?nominee }
  BIND (EXISTS { ?stance a sg:Expectation } AS ?expectation)
}"""
)
_Q_CONDITIONS = (
    SPARQL_PREFIXES
    + """
SELECT ?stance ?source ?type ?requires WHERE {
  ?stance prov:wasDerivedFrom ?source ; sg:condition ?c .
  ?c sg:requires ?requires ; sg:conditionType/skos:notation ?type .
}"""
)
_Q_SAME_AS = SPARQL_PREFIXES + "SELECT ?a ?b WHERE { ?a skos:exactMatch ?b }"
# (No LIMIT: a remote store pages every SELECT, and a LIMIT cannot be paged; the first
# label is taken.)
_Q_LABEL = SPARQL_PREFIXES + "SELECT ?x ?label WHERE { ?x rdfs:label ?label }"


@dataclass
class SourceComparison:
    """What two sources attribute differently to the same actor at the same occasion."""

    a: str
    b: str
    aligned: list[dict[str, Any]]  # (holder, occasion) pairs both sources report
    stances: list[dict[str, Any]]
    guarantor_lists: list[dict[str, Any]]
    conditions: list[dict[str, Any]]
    only_in_a: list[dict[str, Any]]  # (holder, occasion) pairs only source a reports
    only_in_b: list[dict[str, Any]]
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def agree(self) -> bool:
        return not (self.stances or self.guarantor_lists or self.conditions)

    def as_dict(self) -> dict[str, Any]:
        d = plain(self)
        d["agree"] = self.agree
        return d


def _canonical(kg: Any) -> dict[str, str]:
    """Each proposition linked by skos:exactMatch -> one representative (the least IRI)."""
    G = nx.Graph()
    for r in select(kg, _Q_SAME_AS):
        G.add_edge(r["a"], r["b"])
    return {n: min(comp) for comp in nx.connected_components(G) for n in comp}


def compare_sources(kg: Any, a: str, b: str) -> SourceComparison:
    """Compare the stances, guarantor lists and conditions two sources attribute.

    Inputs: a graph and two source slugs or IRIs. Output: :class:`SourceComparison`
    (``agree`` is True when nothing differs). Only (holder, occasion) pairs both sources
    report are compared item by item; pairs one source alone reports are listed apart
    (``only_in_a``, ``only_in_b``), since silence is not disagreement.

    Complexity: O(S + C) for the two sources' S stances and C conditions (the source is
    a bound variable of each SELECT), one pass over the skos:exactMatch links, and one
    label look-up per resource the differences name.
    """
    sa, sb = iri_of("source", a), iri_of("source", b)
    if sa == sb:
        raise ValueError("compare two different sources")
    canon = _canonical(kg)
    side = {sa: "a", sb: "b"}
    # (holder, occasion key) -> side -> list of rows
    groups: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = defaultdict(
        lambda: {"a": [], "b": []}
    )
    stance_key: dict[str, tuple[str, str, str]] = {}
    rows_of = [r for src in (sa, sb) for r in select(kg, _Q_SOURCE_STANCES, source=src)]
    for r in rows_of:
        s = side[r["source"]]
        key = (r["holder"], r.get("occasion") or f"date:{str(r['statedAt'])[:10]}")
        r["target"] = canon.get(r["target"], r["target"])
        groups[key][s].append(r)
        stance_key[r["stance"]] = (s, *key)
    seen = {k[0] for k in stance_key.values()}
    for name, given in (("a", a), ("b", b)):
        if name not in seen:
            raise ValueError(f"source {given!r} has no stances in the graph (unknown source?)")
    conds: dict[tuple[str, str, str, str], set[tuple[str, str]]] = defaultdict(set)
    cond_target: dict[str, str] = {}
    for rows in groups.values():
        for s in ("a", "b"):
            for r in rows[s]:
                cond_target[r["stance"]] = r["target"]
    for r in (r for src in (sa, sb) for r in select(kg, _Q_CONDITIONS, source=src)):
        k = stance_key.get(r["stance"])
        if k is None:
            continue
        requires: str = r["requires"]
        conds[(k[0], k[1], k[2], cond_target[r["stance"]])].add(
            (str(r["type"]), canon.get(requires, requires))
        )
    labels: dict[str, str] = {}

    def lab(x: str) -> str:
        if x.startswith("date:"):
            return x[5:]
        if x not in labels:
            found = next(iter(select(kg, _Q_LABEL, x=x)), None)
            labels[x] = (found or {}).get("label") or x.rsplit("/", 1)[-1]
        return labels[x]

    aligned: list[dict[str, str]] = []
    only_a: list[dict[str, str]] = []
    only_b: list[dict[str, str]] = []
    stance_diffs: list[dict[str, Any]] = []
    list_diffs: list[dict[str, Any]] = []
    cond_diffs: list[dict[str, Any]] = []
    for (holder, occ), rows in sorted(groups.items()):
        where = {"holder": holder, "holder_label": lab(holder), "occasion": occ}
        where["occasion_label"] = lab(occ)
        if not rows["a"] or not rows["b"]:
            (only_a if rows["a"] else only_b).append(where)
            continue
        aligned.append(where)
        # stances (not nominations): polarity per target
        pol: dict[str, dict[str, set[str]]] = defaultdict(lambda: {"a": set(), "b": set()})
        for s in ("a", "b"):
            for r in rows[s]:
                if not r.get("nominee"):
                    pol[r["target"]][s].add(str(r["polarity"]))
        for target, ps in sorted(pol.items()):
            if ps["a"] != ps["b"]:
                kind = (
                    "polarity" if ps["a"] and ps["b"] else "only-in-a" if ps["a"] else "only-in-b"
                )
                stance_diffs.append(
                    {
                        **where,
                        "target": target,
                        "target_label": lab(target),
                        "difference": kind,
                        "a": sorted(ps["a"]),
                        "b": sorted(ps["b"]),
                    }
                )
        # guarantor lists
        noms: dict[str, dict[str, str]] = {"a": {}, "b": {}}
        for s in ("a", "b"):
            for r in rows[s]:
                if r.get("nominee"):
                    noms[s][r["nominee"]] = str(r["modality"])
        if noms["a"] or noms["b"]:
            na, nb = set(noms["a"]), set(noms["b"])
            modality = sorted(n for n in na & nb if noms["a"][n] != noms["b"][n])
            if na != nb or modality:
                list_diffs.append(
                    {
                        **where,
                        "in_a": sorted(na, key=lab),
                        "in_b": sorted(nb, key=lab),
                        "only_in_a": sorted(na - nb, key=lab),
                        "only_in_b": sorted(nb - na, key=lab),
                        "modality_differs": [
                            {"nominee": n, "a": noms["a"][n], "b": noms["b"][n]} for n in modality
                        ],
                    }
                )
        # conditions on the same target
        for target in sorted(set(pol) | {r["target"] for s in ("a", "b") for r in rows[s]}):
            ca, cb = (
                conds.get(("a", holder, occ, target), set()),
                conds.get(("b", holder, occ, target), set()),
            )
            if (ca or cb) and ca != cb:
                cond_diffs.append(
                    {
                        **where,
                        "target": target,
                        "target_label": lab(target),
                        "only_in_a": [{"type": t, "requires": q} for t, q in sorted(ca - cb)],
                        "only_in_b": [{"type": t, "requires": q} for t, q in sorted(cb - ca)],
                    }
                )
    used = {sa, sb}
    for d in (*stance_diffs, *list_diffs, *cond_diffs):
        used.update(v for v in d.values() if isinstance(v, str))
        for name in ("in_a", "in_b"):
            used.update(d.get(name, ()))
        for name in ("only_in_a", "only_in_b"):
            used.update(c["requires"] for c in d.get(name, ()) if isinstance(c, dict))
    return SourceComparison(
        a=sa,
        b=sb,
        aligned=aligned,
        stances=stance_diffs,
        guarantor_lists=list_diffs,
        conditions=cond_diffs,
        only_in_a=only_a,
        only_in_b=only_b,
        labels={x: lab(x) for x in sorted(used) if x.startswith("http")},
    )
