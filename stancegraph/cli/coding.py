"""``stancegraph agreement`` and ``stancegraph merge``: several coders' work on a source."""

from __future__ import annotations

import argparse
import json

from .main import UsageError, _store_spec, add_store_args, open_from_args, register


def _coders(p: argparse.ArgumentParser) -> None:
    add_store_args(p)
    p.add_argument("source", help="the source's id")
    p.add_argument("--coders", nargs=2, required=True, metavar=("A", "B"), help="the two coder ids")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def cmd_agreement(args: argparse.Namespace) -> int:
    from ..agreement import agreement

    kg = open_from_args(args)
    report = agreement(kg.store, args.source, *args.coders)
    print(json.dumps(report.as_dict(), indent=2) if args.json else report)
    return 0


def configure_merge(p: argparse.ArgumentParser) -> None:
    _coders(p)
    p.add_argument("--dry-run", action="store_true", help="validate, write nothing")


def cmd_merge(args: argparse.Namespace) -> int:
    from ..agreement import merge

    if not _store_spec(args):
        raise UsageError("merge needs a persistent store: --store PATH (or STANCEGRAPH_STORE)")
    kg = open_from_args(args)
    result = merge(kg.writer, args.source, *args.coders, dry_run=args.dry_run)
    kg.store.flush()
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
        return 0
    a, b = args.coders
    verb = "would merge" if args.dry_run else "merged"
    print(f"{verb} {len(result.merged)} agreed stance(s) of {a} and {b} in {args.source}")
    for p in result.disagreements:
        print(
            f"  to adjudicate: {p.holder} → {p.target}: {a} {p.polarity_a} ({p.a}) / {b} {p.polarity_b} ({p.b})"
        )
    only = result.agreement
    print(
        f"  only {a}: {', '.join(only.only_a) or '—'}\n  only {b}: {', '.join(only.only_b) or '—'}"
    )
    return 0


register(
    "agreement",
    "how two coders' stances on a source match, with Krippendorff's alpha on polarity",
    _coders,
    cmd_agreement,
)
register(
    "merge",
    "merge two coders' agreed stances on a source; list the disagreements",
    configure_merge,
    cmd_merge,
)
