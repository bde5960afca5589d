"""The one ``Accept`` negotiator (RFC 9110, section 12.5.1), for every route.

- A media range's weight is its ``q`` parameter (default 1). A weight that is not a qvalue
  (``0`` to ``1``, at most three decimals) makes the range malformed; malformed ranges,
  and ranges without a ``/``, are ignored (a lone ``*``, which old clients send, reads as
  ``*/*``). A header with no usable range is treated as absent: the first offer wins.
- For each offer the most specific matching range decides its weight (``a/b`` over
  ``a/*`` over ``*/*``); ``q=0`` means "not acceptable". The highest weight wins, ties go
  to the server's order of offers.
- Several media types may carry one format (``application/json`` and
  ``application/sparql-results+json``): an explicit ``q=0`` on any of them refuses the
  format, whatever weight a wildcard gives its aliases.
"""

from __future__ import annotations

import re

from stancegraph.memo import memoize

Offers = tuple[tuple[str, str], ...]
"""(media type, key) pairs in the server's order of preference."""

_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")


# Keyed by digests and bounded in bytes: a huge Accept header costs a hash, not memory.
@memoize(max_bytes=1 << 20, max_entries=512)
def parse_accept(header: str) -> tuple[tuple[str, str, float], ...]:
    """``Accept`` as (type, subtype, q) media ranges; malformed ranges are left out."""
    ranges = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        mt = fields[0].lower()
        if mt == "*":
            mt = "*/*"
        t, slash, s = mt.partition("/")
        if not slash or not t or not s:
            continue
        q: float | None = 1.0
        for param in fields[1:]:
            k, _, v = param.partition("=")
            if k.strip().lower() == "q":
                v = v.strip()
                q = float(v) if _QVALUE.fullmatch(v) else None
        if q is not None:
            ranges.append((t, s, q))
    return tuple(ranges)


@memoize(max_bytes=1 << 20, max_entries=1024, size=lambda result: 64)
def negotiate(accept: str | None, offers: Offers) -> str | None:
    """The key of the offer ``accept`` prefers; None when it accepts none of them."""
    if not accept or not accept.strip():
        return offers[0][1]
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0][1]
    weights: list[tuple[str, float]] = []
    refused: set[str] = set()
    for mt, key in offers:
        t, _, s = mt.partition("/")
        spec, q = -1, 0.0
        for rt, rs, rq in ranges:
            if rt == t and rs == s:
                sp = 2
            elif rt == t and rs == "*":
                sp = 1
            elif rt == "*" and rs == "*":
                sp = 0
            else:
                continue
            if sp > spec:
                spec, q = sp, rq
        if spec == 2 and q == 0.0:
            refused.add(key)  # an explicit q=0 on a format refuses its aliases too
        weights.append((key, q))
    best: str | None = None
    best_q = 0.0
    for key, q in weights:
        if key not in refused and q > best_q:
            best, best_q = key, q
    return best


def offers(*media_types: str) -> Offers:
    """Offers whose keys are their media types (routes with one media type per format)."""
    return tuple((mt, mt) for mt in media_types)
