"""``stancegraph analyze``: network analytics from the command line.

    stancegraph analyze coalitions|guarantors|conditions|positions
        [--format table|json] [--as-of DATE] [--source SLUG] [--holders states|actors|all]
        [--export graphml|gexf|json --output FILE] [--random-seed N] [--party SLUG]... [--met SLUG]...
        [--backend NAME] [--store PATH]

Tables are for reading; ``--format json`` prints the full report (the same objects the
JSON API returns). ``--export`` writes the analysis' graph for Gephi, Cytoscape or NetworkX:
coalitions → the signed actor network (nodes with coalition and camp), guarantors → the
nomination digraph, conditions → the dependency digraph, positions → the signed
actor–target graph with polarisation and centralities.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

from ..graph import Result
from .args import UsageError, add_store_args, open_from_args, register
from .output import print_table

ANALYSES = ("coalitions", "guarantors", "conditions", "positions", "sources")


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {value!r}") from None


def configure(p: argparse.ArgumentParser) -> None:
    add_store_args(p)
    p.add_argument("analysis", choices=ANALYSES, help="which analysis")
    p.add_argument(
        "sources",
        nargs="*",
        metavar="SOURCE",
        help="for 'sources': the two sources to compare (slugs or IRIs)",
    )
    p.add_argument(
        "--expectations",
        action="store_true",
        help="also read expectations (forecasts, assessments); default: preferences only",
    )
    p.add_argument(
        "--format", choices=["table", "json"], default="table", help="output format (default table)"
    )
    p.add_argument(
        "--as-of", type=_date, metavar="DATE", help="only stances stated on or before DATE"
    )
    p.add_argument("--source", metavar="SLUG", help="only stances from this source (slug or IRI)")
    p.add_argument(
        "--holders",
        choices=["states", "actors", "all"],
        default="all",
        help="stance holders: state actors, all actors but independent experts, or all (default)",
    )
    p.add_argument(
        "--export", choices=["graphml", "gexf", "json"], help="also write the analysis graph"
    )
    p.add_argument("-o", "--output", metavar="FILE", help="file for --export")
    p.add_argument(
        "--random-seed",
        type=int,
        default=0,
        help="random seed for Louvain and balance restarts (default 0)",
    )
    p.add_argument(
        "--party",
        action="append",
        metavar="SLUG",
        help="principal party (repeatable; default: the negotiations' parties)",
    )
    p.add_argument(
        "--met",
        action="append",
        metavar="SLUG",
        help="conditions: a proposition already met (repeatable)",
    )
    p.add_argument(
        "--backend",
        metavar="NAME",
        help="NetworkX backend for dispatchable algorithms (e.g. parallel, cugraph)",
    )


def _label(labels: dict[str, str], iri: Any) -> str:
    if iri is None:
        return ""
    return labels.get(iri, str(iri).rstrip("/").rsplit("/", 1)[-1])


def _labels(labels: dict[str, str], iris: Any) -> str:
    """The labels of ``iris``, comma-separated (a table cell or a line of the report)."""
    return ", ".join(_label(labels, x) for x in iris)


def _table(title: str, cols: list[str], rows: list[dict[str, Any]], out: Any) -> None:
    print(f"\n{title}", file=out)
    print_table(Result("select", cols, rows), out)


def _num(x: float) -> str:
    return f"{x:.3f}".rstrip("0").rstrip(".") if isinstance(x, float) else str(x)


def _show_coalitions(rep: Any, out: Any) -> None:
    L = rep.labels
    _table(
        f"Coalitions (Louvain on the congruence network, seed {rep.seed}, modularity {rep.modularity})",
        ["coalition", "size", "members", "principal parties"],
        [
            {
                "coalition": c.id,
                "size": len(c.members),
                "members": ", ".join(c.labels),
                "principal parties": _labels(L, c.parties),
            }
            for c in rep.coalitions
        ],
        out,
    )
    b = rep.balance
    _table(
        f"Structural balance ({b.method}, objective {b.objective}): frustration index {b.frustration}, "
        f"weight {_num(b.frustration_weight)}",
        ["camp", "members"],
        [{"camp": i, "members": _labels(L, camp)} for i, camp in enumerate(b.camps)]
        + ([{"camp": "no signed tie", "members": _labels(L, b.isolated)}] if b.isolated else []),
        out,
    )
    if b.frustrated_edges:
        _table(
            "Frustrated ties",
            ["actor", "actor ", "signed weight"],
            [
                {
                    "actor": _label(L, u),
                    "actor ": _label(L, v),
                    "signed weight": _num(rep.network.edges[u, v]["weight"]),
                }
                for u, v in b.frustrated_edges
            ],
            out,
        )
    t = rep.triangles
    print(f"\nTriangles: {t['balanced']} balanced, {t['unbalanced']} unbalanced", file=out)
    _table(
        "Actor ties (congruence − conflict)",
        ["actor", "actor ", "congruence", "conflict", "weight"],
        [
            {
                "actor": _label(L, u),
                "actor ": _label(L, v),
                "congruence": _num(d["congruence"]),
                "conflict": _num(d["conflict"]),
                "weight": _num(d["weight"]),
            }
            for u, v, d in sorted(rep.network.edges(data=True), key=lambda e: -abs(e[2]["weight"]))
        ],
        out,
    )


def _show_guarantors(rep: Any, out: Any) -> None:
    L = rep.labels
    _table(
        "Guarantor nominees",
        ["nominee", "modality", "nominated by", "own position", "contested by", "member of"],
        [
            {
                "nominee": n.label,
                "modality": n.modality,
                "nominated by": _labels(L, n.nominated_by),
                "own position": n.own_position,
                "contested by": ", ".join(c.by_label for c in n.contested_by),
                "member of": _labels(L, n.member_of),
            }
            for n in rep.nominees
        ],
        out,
    )
    if rep.parties:
        # per-nominee acceptability: unknown (no stance) is not an objection
        _table(
            "Acceptability to the principal parties (unknown = no stance in the data)",
            ["nominee", *(_label(L, p) for p in rep.parties)],
            [
                {"nominee": n.label, **{_label(L, p): n.acceptability.get(p) for p in rep.parties}}
                for n in rep.nominees
            ],
            out,
        )
    parties = _labels(L, rep.parties) or "none recorded"
    print(f"\nPrincipal parties: {parties}", file=out)
    print(
        "Acceptable to all principal parties: "
        + (_labels(L, rep.acceptable_to_all_parties) or "none"),
        file=out,
    )
    print(
        "Uncontested by the principal parties: " + (_labels(L, rep.uncontested) or "none"),
        file=out,
    )
    for org, a in rep.alliances.items():
        print(
            f"{_label(L, org)}: {a['count']} of {len(rep.nominees)} nominees ({_labels(L, a['nominees'])})",
            file=out,
        )
    if rep.guarantee_opponents:
        print(
            "Opposing the guarantee itself: "
            + ", ".join(o["holder_label"] for o in rep.guarantee_opponents),
            file=out,
        )


def _show_conditions(rep: Any, out: Any) -> None:
    L = rep.labels
    _table(
        "Dependencies (proposition → what it requires)",
        ["proposition", "requires", "holder", "holder role", "condition", "necessity"],
        [
            {
                "proposition": _label(L, d.proposition),
                "requires": _label(L, d.requires),
                "holder": d.holder_label,
                "holder role": d.holder_role,
                "condition": d.condition_type,
                "necessity": d.necessity,
            }
            for d in rep.dependencies
        ],
        out,
    )
    if rep.deadlocks:
        _table(
            "Deadlocks (precondition cycles)",
            ["cycle", "holders", "cross-holder"],
            [
                {
                    "cycle": " → ".join(dl.labels + dl.labels[:1]),
                    "holders": _labels(L, dl.holders),
                    "cross-holder": dl.cross_holder,
                }
                for dl in rep.deadlocks
            ],
            out,
        )
    else:
        print("\nDeadlocks: none (the precondition graph is acyclic)", file=out)
    _table(
        "Feasible sequence (what must happen first)",
        ["stage", "propositions", "deadlocked"],
        [
            {"stage": i, "propositions": _labels(L, st), "deadlocked": flag}
            for i, (st, flag) in enumerate(zip(rep.sequence, rep.sequence_deadlocked, strict=True))
        ],
        out,
    )
    _table(
        "Blocked propositions"
        + (f" (met: {_labels(L, rep.met)})" if rep.met else " (nothing marked as met)"),
        ["proposition", "waits for", "all unmet requirements", "conditions by"],
        [
            {
                "proposition": b.label,
                "waits for": _labels(L, b.unmet),
                "all unmet requirements": _labels(L, b.unmet_transitive),
                "conditions by": _labels(L, b.holders),
            }
            for b in rep.blocked
        ],
        out,
    )
    _table(
        "Critical preconditions",
        ["precondition", "dependents", "direct", "required by"],
        [
            {
                "precondition": c.label,
                "dependents": c.dependents,
                "direct": c.direct_dependents,
                "required by": _labels(L, c.holders),
            }
            for c in rep.critical
        ],
        out,
    )


def _show_positions(rep: Any, out: Any) -> None:
    L = rep.labels
    _table(
        "Polarisation (std of signed positions)",
        ["proposition", "actors", "for", "against", "neutral", "mean", "std", "contested"],
        [
            {
                "proposition": p.label,
                "actors": p.actors,
                "for": p.n_for,
                "against": p.n_against,
                "neutral": p.n_neutral,
                "mean": _num(p.mean),
                "std": _num(p.std),
                "contested": p.contested,
            }
            for p in rep.polarisation
        ],
        out,
    )
    _table(
        f"Consensus set (no principal party opposes; parties: {_labels(L, rep.parties)})",
        ["proposition", "full", "for", "silent"],
        [
            {
                "proposition": c.label,
                "full": c.full,
                "for": _labels(L, c.endorsed_by),
                "silent": _labels(L, c.silent),
            }
            for c in rep.consensus
        ],
        out,
    )
    _table(
        "Pivotal actors (betweenness on the unsigned actor network; PageRank on congruence)",
        ["actor", "betweenness", "pagerank", "+strength", "-strength", "why"],
        [
            {
                "actor": a.label,
                "betweenness": _num(a.betweenness),
                "pagerank": _num(a.pagerank),
                "+strength": _num(a.positive_strength),
                "-strength": _num(a.negative_strength),
                "why": a.reason,
            }
            for a in rep.pivotal_actors
        ],
        out,
    )
    _table(
        "Pivotal propositions (betweenness on the unsigned actor–proposition graph)",
        ["proposition", "betweenness", "actors", "polarisation", "why"],
        [
            {
                "proposition": p.label,
                "betweenness": _num(p.betweenness),
                "actors": p.actors,
                "polarisation": _num(p.polarisation),
                "why": p.reason,
            }
            for p in rep.pivotal_propositions
        ],
        out,
    )


def _show_sources(rep: Any, out: Any) -> None:
    lab = rep.labels.get
    print(f"A: {lab(rep.a, rep.a)}\nB: {lab(rep.b, rep.b)}", file=out)
    print(
        f"{len(rep.aligned)} actor/occasion pairs in both; {len(rep.only_in_a)} only in A,"
        f" {len(rep.only_in_b)} only in B",
        file=out,
    )
    if rep.agree:
        print("No disagreement on what both report.", file=out)
        return

    def names(xs: list[str]) -> str:
        return ", ".join(lab(x, x) for x in xs) or "-"

    if rep.stances:
        _table(
            "Stances",
            ["holder", "occasion", "target", "A", "B"],
            [
                {
                    "holder": d["holder_label"],
                    "occasion": d["occasion_label"],
                    "target": d["target_label"],
                    "A": ", ".join(d["a"]) or "-",
                    "B": ", ".join(d["b"]) or "-",
                }
                for d in rep.stances
            ],
            out,
        )
    for d in rep.guarantor_lists:
        print(f"\nGuarantor list of {d['holder_label']} ({d['occasion_label']})", file=out)
        print(f"  only in A: {names(d['only_in_a'])}", file=out)
        print(f"  only in B: {names(d['only_in_b'])}", file=out)
        for m in d["modality_differs"]:
            print(f"  {lab(m['nominee'], m['nominee'])}: A {m['a']}, B {m['b']}", file=out)
    for d in rep.conditions:
        print(f"\nConditions of {d['holder_label']} on {d['target_label']}", file=out)
        for side in ("a", "b"):
            for c in d[f"only_in_{side}"]:
                print(
                    f"  only in {side.upper()}: {c['type']} {lab(c['requires'], c['requires'])}",
                    file=out,
                )


_SHOW = {
    "coalitions": _show_coalitions,
    "guarantors": _show_guarantors,
    "conditions": _show_conditions,
    "positions": _show_positions,
    "sources": _show_sources,
}


def run_analysis(an: Any, args: argparse.Namespace) -> Any:
    if args.analysis == "sources":
        if len(args.sources) != 2:
            raise UsageError("analyze sources needs exactly two sources: SOURCE_A SOURCE_B")
        return an.sources(*args.sources)
    if args.sources:
        raise UsageError(f"analyze {args.analysis} takes no positional sources (see --source)")
    opts = {
        "as_of": args.as_of,
        "source": args.source,
        "holders": args.holders,
        "expectations": args.expectations or None,
    }
    if args.analysis == "coalitions":
        return an.coalitions(seed=args.random_seed, backend=args.backend, **opts)
    if args.analysis == "guarantors":
        return an.guarantors(parties=args.party, **opts)
    if args.analysis == "conditions":
        return an.conditions(met=args.met or (), **opts)
    return an.positions(parties=args.party, backend=args.backend, **opts)


def cmd_analyze(args: argparse.Namespace) -> int:
    from ..analytics import Analytics
    from ..analytics.export import export

    if args.export and args.analysis == "sources":
        raise UsageError("--export is not available for 'sources'")
    if args.export and not args.output:
        raise UsageError("--export needs --output FILE")
    if args.output and not args.export:
        raise UsageError("--output is for --export graphml|gexf|json")
    if args.met and args.analysis != "conditions":
        raise UsageError("--met is for 'analyze conditions' only")
    if args.party and args.analysis not in ("guarantors", "positions"):
        raise UsageError("--party is for 'analyze guarantors' and 'analyze positions' only")
    kg = open_from_args(args)
    # A reading command never writes: the derived analytics graph is the service's (see
    # README "Analytics"), not written by `analyze`.
    an = Analytics(kg, seed=args.random_seed, backend=args.backend, auto_materialize=False)
    rep = run_analysis(an, args)
    if args.export:
        graph = {
            "coalitions": lambda: rep.network,
            "guarantors": lambda: rep.graph,
            "conditions": lambda: rep.graph,
            "positions": lambda: rep.graph,
        }[args.analysis]()
        text = export(graph, args.export, args.output)
        print(
            f"wrote {args.export} ({graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges, "
            f"{len(text.encode())} bytes) to {args.output}",
            file=sys.stderr,
        )
    if args.format == "json":
        print(json.dumps(rep.as_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        o = getattr(rep, "options", {})
        scope = ", ".join(f"{k}={v}" for k, v in o.items() if v) or "all data"
        print(f"stancegraph analyze {args.analysis} ({scope})")
        _SHOW[args.analysis](rep, sys.stdout)
    return 0


register(
    "analyze",
    "network analytics: coalitions, guarantors, conditions, positions",
    configure,
    cmd_analyze,
)
