"""``stancegraph agreement`` and ``stancegraph merge``: several coders' work on a source."""

from __future__ import annotations

import argparse
import json

from .args import UsageError, add_store_args, open_from_args, register
from .args import store_spec as _store_spec

OPERATOR = "operator"  # as coding.OPERATOR (not imported: the CLI starts without pydantic)


def _coders(p: argparse.ArgumentParser) -> None:
    add_store_args(p)
    p.add_argument("source", help="the source's id")
    p.add_argument("--coders", nargs=2, required=True, metavar=("A", "B"), help="the two coder ids")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def cmd_agreement(args: argparse.Namespace) -> int:
    from ..agreement import agreement
    from ..coding import exists
    from ..terms import mint

    kg = open_from_args(args)
    if not exists(kg.store, mint("source", args.source)):
        raise UsageError(f"no source {args.source!r} in the store")
    report = agreement(kg.store, args.source, *args.coders)
    print(json.dumps(report.as_dict(), indent=2) if args.json else report)
    return 0


def _accepted(value: str) -> tuple[str, str]:
    coder, _, sid = value.partition(":")
    if not coder or not sid:
        raise argparse.ArgumentTypeError(f"{value!r}: give CODER:STANCE-ID")
    return coder, sid


def configure_merge(p: argparse.ArgumentParser) -> None:
    _coders(p)
    p.add_argument("--dry-run", action="store_true", help="validate, write nothing")
    p.add_argument(
        "--accept",
        type=_accepted,
        action="append",
        default=[],
        metavar="CODER:ID",
        help="adjudicate: promote this coder's version of a disputed unit (or of a unit only "
        "they found); repeatable",
    )
    p.add_argument(
        "--as",
        dest="merger",
        default=OPERATOR,
        metavar="CODER",
        help=f"who merges, for the provenance (default: {OPERATOR})",
    )


def cmd_merge(args: argparse.Namespace) -> int:
    from ..agreement import AcceptError, merge
    from ..coding import Conflict, NotFound

    if not _store_spec(args):
        raise UsageError("merge needs a persistent store: --store PATH (or STANCEGRAPH_STORE)")
    kg = open_from_args(args)
    try:
        result = merge(
            kg.writer,
            args.source,
            *args.coders,
            merger=args.merger,
            accept=args.accept,
            dry_run=args.dry_run,
        )
    except (AcceptError, Conflict, NotFound) as exc:
        raise UsageError(f"nothing merged: {exc}") from None
    kg.store.flush()
    if args.json:
        print(json.dumps({**result.as_dict(), "dry_run": args.dry_run}, indent=2))
        return 0
    a, b = args.coders
    verb = "would merge" if args.dry_run else "merged"
    agreed = sum(p.how == "agreed" for p in result.merged)
    print(
        f"{verb} {agreed} agreed and {len(result.merged) - agreed} accepted stance(s) of "
        f"{a} and {b} in {args.source}"
    )
    for m in result.merged:
        drafts = ", ".join(f"{c}:{sid}" for c, sid in sorted(m.drafts.items()))
        print(f"  {m.how:8} {m.stance}  (from {drafts})")
    if result.disagreements:
        print("to adjudicate (merge again with --accept CODER:ID):")
        width = max(len(f"{p.holder} → {p.target}") for p in result.disagreements)
        print(f"  {'unit':{width}}  {a:>12}  {b:>12}")
        for p in result.disagreements:
            unit = f"{p.holder} → {p.target}"
            print(
                f"  {unit:{width}}  {p.polarity_a + ' ' + p.a:>12}  {p.polarity_b + ' ' + p.b:>12}"
            )
    for coder, ids in result.only.items():
        print(f"  only {coder}: {', '.join(ids) or '—'}")
    return 0


register(
    "agreement",
    "how two coders' stances on a source match, with Krippendorff's alpha on polarity",
    _coders,
    cmd_agreement,
)
register(
    "merge",
    "merge two coders' agreed stances on a source into its graph; list the disagreements",
    configure_merge,
    cmd_merge,
)
