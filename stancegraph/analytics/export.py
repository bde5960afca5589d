"""Graph exports for other tools: GraphML, GEXF (Gephi) and node-link JSON.

GraphML and GEXF only carry attribute values that are strings, integers, floats or
booleans, so :func:`sanitize` converts the rest: lists and tuples become ``"; "``-joined
strings, dates ISO strings, infinities and NaN are dropped, ``None`` is dropped (GraphML
has no null). Node-link JSON keeps lists (as JSON arrays) and uses ``null``.

Example (seed)::

    >>> G = Analytics(kg).coalitions().network
    >>> to_graphml(G, "coalitions.graphml")     # open in Gephi, Cytoscape, yEd
    >>> to_gexf(G, "coalitions.gexf")
    >>> json.dumps(to_node_link(G))

Complexity: O(n + m) attribute conversions.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import networkx as nx

FORMATS = ("graphml", "gexf", "json")


def _scalar(v: Any, *, for_json: bool) -> Any:
    """A value GraphML/GEXF (or JSON) accepts, or None to drop it."""
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return None if math.isnan(v) or math.isinf(v) else float(v)
    if isinstance(v, str):
        return v
    if isinstance(v, dt.date | dt.datetime):
        return v.isoformat()
    if isinstance(v, list | tuple | set | frozenset):
        items = [
            _scalar(x, for_json=for_json)
            for x in (sorted(v, key=str) if isinstance(v, set | frozenset) else v)
        ]
        items = [x for x in items if x is not None]
        return items if for_json else "; ".join(str(x) for x in items)
    if hasattr(v, "item"):  # numpy scalars
        return _scalar(v.item(), for_json=for_json)
    return str(v)


def _clean(attrs: dict[str, Any], *, for_json: bool) -> dict[str, Any]:
    out = {}
    for k, v in attrs.items():
        c = _scalar(v, for_json=for_json)
        if c is not None or for_json:
            out[str(k)] = c
    return out


def sanitize(G: nx.Graph, *, for_json: bool = False) -> nx.Graph:
    """A copy of ``G`` whose graph, node and edge attributes are exportable.

    Also makes every attribute's type consistent across nodes (GraphML declares one type
    per key): an attribute with mixed int/float values becomes float, any other mix string.
    """
    H = G.__class__()
    H.graph.update(_clean(G.graph, for_json=for_json))
    for n, d in G.nodes(data=True):
        H.add_node(str(n), **_clean(d, for_json=for_json))
    if G.is_multigraph():
        for u, v, k, d in G.edges(keys=True, data=True):
            H.add_edge(str(u), str(v), key=str(k), **_clean(d, for_json=for_json))
    else:
        for u, v, d in G.edges(data=True):
            H.add_edge(str(u), str(v), **_clean(d, for_json=for_json))
    if not for_json:
        _unify_types(H)
    return H


def _unify_types(H: nx.Graph) -> None:
    def fix(items: list[dict[str, Any]]) -> None:
        types: dict[str, set[type]] = {}
        for d in items:
            for k, v in d.items():
                types.setdefault(k, set()).add(type(v))
        for k, ts in types.items():
            if len(ts) <= 1:
                continue
            if ts <= {int, float}:
                conv: Any = float
            else:
                conv = str
            for d in items:
                if k in d:
                    d[k] = conv(d[k])

    fix([d for _, d in H.nodes(data=True)])
    edata = [d for *_, d in H.edges(data=True)]
    fix(edata)


def to_graphml(G: nx.Graph, path: str | Path | None = None) -> str:
    """GraphML text (and written to ``path`` if given)."""
    text = "\n".join(nx.generate_graphml(sanitize(G)))
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def to_gexf(G: nx.Graph, path: str | Path | None = None) -> str:
    """GEXF 1.2 text for Gephi (and written to ``path`` if given)."""
    text = "\n".join(nx.generate_gexf(sanitize(G)))
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def to_node_link(G: nx.Graph) -> dict[str, Any]:
    """Node-link JSON data (``nodes``, ``edges``; ``directed``, ``multigraph``, ``graph``)."""
    return nx.node_link_data(sanitize(G, for_json=True), edges="edges")


def export(G: nx.Graph, fmt: str, path: str | Path | None = None) -> str:
    """Export in ``fmt`` (``graphml``, ``gexf`` or ``json``); returns the text."""
    import json

    fmt = fmt.lower()
    if fmt == "graphml":
        return to_graphml(G, path)
    if fmt == "gexf":
        return to_gexf(G, path)
    if fmt in ("json", "node-link"):
        text = json.dumps(to_node_link(G), indent=2, ensure_ascii=False)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text
    raise ValueError(f"unknown graph export format {fmt!r} (known: {', '.join(FORMATS)})")
