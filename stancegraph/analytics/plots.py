"""Figures of the analyses, one call each: ``an.coalitions().plot()``,
``an.guarantors().plot()``, ``an.conditions().plot()``.

A notebook should not need forty lines of matplotlib to see a result. Each function draws
on ``ax`` (a new figure when None) and returns the figure; matplotlib is imported only
here, so the library does not need it unless one plots.
"""

from __future__ import annotations

import math
from typing import Any

POSITIVE, NEGATIVE, FRUSTRATED, GREY = "#2a9d5c", "#d1495b", "gold", "#cccccc"


def _axes(ax: Any, size: tuple[float, float]) -> tuple[Any, Any]:
    try:
        import matplotlib.pyplot as plt
    except ModuleNotFoundError:
        raise ModuleNotFoundError("plotting needs matplotlib: pip install matplotlib") from None
    if ax is None:
        fig, ax = plt.subplots(figsize=size)
        return fig, ax
    return ax.figure, ax


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _label(labels: dict[str, str], iri: str) -> str:
    return labels.get(iri) or str(iri).rstrip("/").rsplit("/", 1)[-1]


def plot_coalitions(report: Any, ax: Any = None) -> Any:
    """The signed actor network: balance camps left and right, Louvain coalitions as
    colours, positive ties solid green, negative ties dashed red, frustrated ties in gold."""
    import matplotlib.pyplot as plt

    fig, ax = _axes(ax, (11, 8))
    G, bal = report.network, report.balance
    camp = {n: i for i, side in enumerate(bal.camps) for n in side}
    order: dict[int, list[str]] = {0: [], 1: []}
    for n in sorted(G, key=lambda n: (G.nodes[n].get("coalition") or 99, _label(report.labels, n))):
        if n in camp:
            order[camp[n]].append(n)
    pos: dict[str, tuple[float, float]] = {}
    for side, nodes in order.items():  # camp 0 on the left half of a circle, camp 1 right
        for k, n in enumerate(nodes):
            angle = math.pi / 2 + (k + 1) * math.pi / (len(nodes) + 1)
            x, y = math.cos(angle), math.sin(angle)
            pos[n] = (x, y) if side == 0 else (-x, y)
    loners = [n for n in G if n not in camp]
    for k, n in enumerate(loners):
        pos[n] = (-0.6 + 1.2 * k / max(1, len(loners) - 1), -1.45)
    palette = plt.get_cmap("tab10")
    frustrated = {frozenset(e) for e in bal.frustrated_edges}
    for u, v, d in G.edges(data=True):
        positive = d.get("sign", 1) > 0
        xs, ys = [pos[u][0], pos[v][0]], [pos[u][1], pos[v][1]]
        if frozenset((u, v)) in frustrated:
            ax.plot(xs, ys, color=FRUSTRATED, linewidth=12, alpha=0.45, zorder=0)
        ax.plot(
            xs,
            ys,
            color=POSITIVE if positive else NEGATIVE,
            linestyle="-" if positive else "--",
            linewidth=1 + 3 * abs(d.get("weight", 0.5)),
            alpha=0.85,
            zorder=1,
        )
    for n, (x, y) in pos.items():
        c = G.nodes[n].get("coalition") or 0
        ax.scatter(
            x,
            y,
            s=700,
            color=palette(c % 10) if c else GREY,
            edgecolors="black",
            marker="s" if camp.get(n) == 0 else "o",
            zorder=2,
        )
        dx = 0 if n in loners else (-1 if x < 0 else 1)
        ax.annotate(
            _clip(_label(report.labels, n), 30),
            (x, y),
            xytext=(dx * 20, -22 if dx == 0 else 0),
            textcoords="offset points",
            ha={-1: "right", 0: "center", 1: "left"}[dx],
            va="center",
            fontsize=9,
            zorder=3,
        )
    ax.axvline(0, color="#999999", lw=0.8, ls=":", zorder=0)
    ax.text(-0.5, 1.2, "balance camp A", ha="center", fontsize=11, weight="bold")
    ax.text(0.5, 1.2, "balance camp B", ha="center", fontsize=11, weight="bold")
    handles = [
        plt.Line2D([], [], color=POSITIVE, lw=2, label="positive tie"),
        plt.Line2D([], [], color=NEGATIVE, lw=2, ls="--", label="negative tie"),
        plt.Line2D([], [], color=FRUSTRATED, lw=8, alpha=0.5, label="frustrated tie"),
    ] + [
        plt.Line2D(
            [],
            [],
            marker="o",
            color="w",
            markerfacecolor=palette(c.id % 10),
            markeredgecolor="black",
            markersize=11,
            label=f"Louvain coalition {c.id}",
        )
        for c in report.coalitions
    ]
    ax.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, -0.14),
        ncol=3,
        fontsize=9,
        frameon=False,
    )
    ax.set_title(
        "Signed actor network: colour = Louvain coalition, side = balance camp "
        f"(frustration index {bal.frustration})"
    )
    ax.set_xlim(-2.3, 2.3)
    ax.set_ylim(-1.7, 1.35)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig


def plot_guarantors(report: Any, ax: Any = None) -> Any:
    """Nominees (rows) by nominator (columns): a filled marker for an asserted nomination,
    a hollow one for a possible one; red crosses where someone contests the nominee."""
    fig, ax = _axes(ax, (9, 0.5 * max(4, len(report.nominees)) + 1.5))
    nominees = list(reversed(report.nominees))
    nominators = sorted(
        {x.nominator for n in nominees for x in n.nominations}
        | {c.by for n in nominees for c in n.contested_by}
        | set(report.parties),  # a party that named no one shows as an empty column
        key=lambda i: _label(report.labels, i),
    )
    col = {x: i for i, x in enumerate(nominators)}
    for row, n in enumerate(nominees):
        for nom in n.nominations:
            asserted = nom.modality == "asserted"
            ax.scatter(
                col[nom.nominator],
                row,
                s=220,
                marker="o",
                facecolors=POSITIVE if asserted else "white",
                edgecolors=POSITIVE,
                linewidths=2,
                zorder=2,
            )
        for c in n.contested_by:
            ax.scatter(col[c.by], row, s=160, marker="x", color=NEGATIVE, linewidths=2.5, zorder=3)
    ax.set_yticks(range(len(nominees)))
    ax.set_yticklabels([f"{n.label} ({n.modality})" for n in nominees])
    ax.set_xticks(range(len(nominators)))
    ax.set_xticklabels([_label(report.labels, x) for x in nominators])
    ax.set_xlim(-0.6, max(0.6, len(nominators) - 0.4))
    ax.grid(True, color="#eeeeee", zorder=0)
    parties = ", ".join(_label(report.labels, p) for p in report.parties) or "none recorded"
    ax.set_title(
        "Guarantor nominations: ● asserted, ○ possible, × contested\n"
        f"(principal parties: {parties}; acceptable to all: "
        f"{len(report.acceptable_to_all_parties)})"
    )
    fig.tight_layout()
    return fig


def plot_conditions(report: Any, ax: Any = None) -> Any:
    """The condition dependencies in stages: an arrow X → Y means X must come before Y,
    labelled with who set the condition; red arrows lie on a deadlock cycle."""
    import networkx as nx

    fig, ax = _axes(ax, (13, 6))
    stage = {p: i for i, st in enumerate(report.sequence) for p in st}
    S = nx.DiGraph()
    S.add_nodes_from(report.graph.nodes)
    for u, v, d in report.graph.edges(data=True):  # u requires v: v comes first
        who = f"{_label(report.labels, d.get('holder', ''))} ({d.get('condition_type', '')})"
        if S.has_edge(v, u):
            S.edges[v, u]["label"] += f", {who}"
        else:
            S.add_edge(v, u, label=who)
    row: dict[str, float] = {}
    for st in report.sequence:  # barycentre ordering within a stage: fewer crossings

        def key(n: str) -> tuple[float, str]:
            before = [row[p] for p in S.predecessors(n) if p in row]
            return (sum(before) / len(before) if before else 0.0, _label(report.labels, n))

        for k, n in enumerate(sorted(st, key=key)):
            row[n] = k
    height = max((len(st) for st in report.sequence), default=1)
    pos = {
        n: (2.0 * stage.get(n, 0), -(row.get(n, 0) - (len(st) - 1) / 2) * 2.0 / max(1, height - 1))
        for st in report.sequence
        for n in st
    }
    for n in S:
        pos.setdefault(n, (0.0, 0.0))
    cycles = [d.cycle for d in report.deadlocks]
    cycle_edges = {(c[i], c[(i + 1) % len(c)]) for c in cycles for i in range(len(c))}
    colors = [NEGATIVE if (v, u) in cycle_edges else "#555555" for u, v in S.edges]
    nx.draw_networkx_nodes(S, pos, ax=ax, node_size=500, node_color="#9ecae1", edgecolors="#3182bd")
    nx.draw_networkx_edges(
        S, pos, ax=ax, arrows=True, arrowsize=16, node_size=500, edge_color=colors,
        connectionstyle="arc3,rad=0.08",
    )  # fmt: skip
    nx.draw_networkx_edge_labels(
        S, pos, ax=ax, edge_labels=nx.get_edge_attributes(S, "label"), font_size=7
    )
    for n, (x, y) in pos.items():
        ax.annotate(
            _clip(_label(report.labels, n), 48),
            (x, y),
            xytext=(0, 13),
            textcoords="offset points",
            ha="center",
            fontsize=8,
        )
    bottom = min((p[1] for p in pos.values()), default=0.0) - 0.35
    for i in range(len(report.sequence)):
        ax.text(2.0 * i, bottom, f"stage {i}", ha="center", fontsize=10, weight="bold")
    ax.set_title("Condition dependencies: X → Y means X must come before Y (label: who set it)")
    ax.axis("off")
    ax.margins(0.18, 0.12)
    return fig
