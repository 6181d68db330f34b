"""Lifecycle diagrams as inline SVG, for the HTML reports (which must open offline, so no
mermaid.js): the `flowchart LR` that `report.mermaid` writes into the Markdown is read
back and laid out in layers, left to right, the way mermaid would draw it.

Only that flowchart is read (nodes with quoted labels, `-->` edges, `classDef` and
`class` lines); anything else is refused with the line that was not understood, so the
HTML never silently drops a diagram. Layout: networkx gives the layers (each step one
layer right of its latest input); edges that skip layers pass through placeholder points
so they bend around the boxes in between; a few barycentre sweeps order each layer to
cut crossings. Box sizes come from the label's characters in a monospace font, so no
font metrics are needed; the output depends on the text alone (same input, same bytes).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

FONT_SIZE = 12
LINE_HEIGHT = 16
CHAR_WIDTH = 7.4  # a monospace glyph at FONT_SIZE is about 0.6 em; a little spare for wider fonts
PAD_X, PAD_Y = 10, 8
LAYER_GAP, NODE_GAP, MARGIN = 56, 16, 8
SWEEPS = 4
NODE_STYLE = {"fill": "#f1f5f9", "stroke": "#475569", "stroke-width": "1.5px", "color": "#111"}

_UNESCAPE = {"#35;": "#", "#quot;": '"', "#lt;": "<", "#gt;": ">", "#amp;": "&", "#96;": "`", "#59;": ";",
             "#124;": "|"}
_NODE = re.compile(r'^(\w+)\["(.*)"\]$')
_EDGE = re.compile(r"^(\w+) --> (\w+)$")
_CLASSDEF = re.compile(r"^classDef (\w+) (.+)$")
_CLASS = re.compile(r"^class ([\w,]+) (\w+)$")


class DiagramError(ValueError):
    """A diagram this module cannot draw (not the flowchart report.mermaid writes)."""


@dataclass
class Diagram:
    """A flowchart as data: nodes in order with their label lines, edges, class styles."""

    nodes: dict[str, list[str]] = field(default_factory=dict)
    edges: list[tuple[str, str]] = field(default_factory=list)
    classes: dict[str, set[str]] = field(default_factory=dict)
    """Node id -> the class names given to it."""
    styles: dict[str, dict[str, str]] = field(default_factory=dict)
    """Class name -> CSS-like properties from its classDef."""


def unescape(text: str) -> str:
    """The inverse of report.mermaid_text."""
    return re.sub(r"#\w+;", lambda m: _UNESCAPE.get(m.group(0), m.group(0)), text)


def parse_mermaid(text: str) -> Diagram:
    """The flowchart `report.mermaid` writes, as a Diagram."""
    lines = [line.strip() for line in text.strip().splitlines()]
    if not lines or lines[0] != "flowchart LR":
        raise DiagramError(f"only 'flowchart LR' diagrams can be drawn, not {lines[0] if lines else 'an empty one'!r}")
    diagram = Diagram()
    for line in lines[1:]:
        if not line:
            continue
        if m := _NODE.match(line):
            diagram.nodes[m.group(1)] = [unescape(part) for part in m.group(2).split("<br/>")]
        elif m := _EDGE.match(line):
            diagram.edges.append((m.group(1), m.group(2)))
        elif m := _CLASSDEF.match(line):
            diagram.styles[m.group(1)] = dict(_style_item(item) for item in m.group(2).split(","))
        elif m := _CLASS.match(line):
            for node in m.group(1).split(","):
                diagram.classes.setdefault(node, set()).add(m.group(2))
        else:
            raise DiagramError(f"cannot draw this diagram line: {line!r}")
    unknown = {n for edge in diagram.edges for n in edge} - set(diagram.nodes)
    if unknown:
        raise DiagramError(f"edges name nodes the diagram does not define: {', '.join(sorted(unknown))}")
    return diagram


def _style_item(item: str) -> tuple[str, str]:
    key, _, value = item.partition(":")
    return key.strip(), value.strip()


# -- layout -----------------------------------------------------------------------------

@dataclass
class _Box:
    x: float = 0.0
    y: float = 0.0
    width: float = 0.0
    height: float = 0.0


def _layers(diagram: Diagram) -> dict[str, int]:
    """Each node one layer right of its latest input; a node with no inputs moves right up
    to just before its first consumer, so a teacher or a data source sits next to its use."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(diagram.nodes)
    graph.add_edges_from(diagram.edges)
    if not nx.is_directed_acyclic_graph(graph):
        raise DiagramError("the diagram has a cycle")
    layer = {node: i for i, generation in enumerate(nx.topological_generations(graph)) for node in generation}
    for node in diagram.nodes:
        successors = list(graph.successors(node))
        if successors and not any(True for _ in graph.predecessors(node)):
            layer[node] = min(layer[s] for s in successors) - 1
    return layer


def layout(diagram: Diagram) -> tuple[dict[str, _Box], list[list[tuple[float, float]]], float, float]:
    """Boxes per node, a polyline per edge (right side of the source to the left side of
    the target), and the width and height of the drawing."""
    layer = _layers(diagram)
    boxes = {node: _Box(width=max(len(line) for line in lines) * CHAR_WIDTH + 2 * PAD_X,
                        height=len(lines) * LINE_HEIGHT + 2 * PAD_Y) for node, lines in diagram.nodes.items()}
    order: list[list[str]] = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    for node in diagram.nodes:
        order[layer[node]].append(node)
    chains = []
    for i, (source, target) in enumerate(diagram.edges):  # long edges pass through one placeholder per layer
        chain = [source] + [f"\0{i}:{k}" for k in range(layer[source] + 1, layer[target])] + [target]
        for k, point in enumerate(chain[1:-1], start=layer[source] + 1):
            order[k].append(point)
            boxes[point] = _Box(height=LINE_HEIGHT)
        chains.append(chain)
    _reduce_crossings(order, chains)
    heights = [sum(boxes[n].height for n in nodes) + NODE_GAP * (len(nodes) - 1) for nodes in order]
    total_height = max(heights, default=0)
    x = MARGIN
    for nodes, height in zip(order, heights):
        width = max((boxes[n].width for n in nodes), default=0)
        y = MARGIN + (total_height - height) / 2
        for node in nodes:
            box = boxes[node]
            box.x, box.y = x + (width - box.width) / 2, y
            y += box.height + NODE_GAP
        x += width + LAYER_GAP
    paths = []
    for chain in chains:
        first, last = boxes[chain[0]], boxes[chain[-1]]
        points = [(first.x + first.width, first.y + first.height / 2)]
        points += [(boxes[p].x, boxes[p].y + boxes[p].height / 2) for p in chain[1:-1]]
        points.append((last.x, last.y + last.height / 2))
        paths.append(points)
    real = {node: boxes[node] for node in diagram.nodes}
    return real, paths, x - LAYER_GAP + MARGIN, total_height + 2 * MARGIN


def _reduce_crossings(order: list[list[str]], chains: list[list[str]]) -> None:
    """Barycentre sweeps: sort each layer by the mean position of its neighbours in the
    layer before (then after), keeping the current order among ties."""
    before: dict[str, list[str]] = {}
    after: dict[str, list[str]] = {}
    for chain in chains:
        for a, b in zip(chain, chain[1:]):
            after.setdefault(a, []).append(b)
            before.setdefault(b, []).append(a)
    for sweep in range(SWEEPS):
        forward = sweep % 2 == 0
        indices = range(1, len(order)) if forward else range(len(order) - 2, -1, -1)
        for i in indices:
            reference = order[i - 1] if forward else order[i + 1]
            position = {node: p for p, node in enumerate(reference)}
            neighbours = before if forward else after
            current = {node: p for p, node in enumerate(order[i])}

            def key(node: str) -> float:
                linked = [position[n] for n in neighbours.get(node, []) if n in position]
                return sum(linked) / len(linked) if linked else current[node]

            order[i].sort(key=key)


# -- drawing ----------------------------------------------------------------------------

def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _curve(points: list[tuple[float, float]]) -> str:
    """A smooth path through the points: each stretch a cubic with horizontal tangents."""
    (x0, y0), rest = points[0], points[1:]
    out = [f"M{_num(x0)},{_num(y0)}"]
    for x1, y1 in rest:
        mid = (x0 + x1) / 2
        out.append(f"C{_num(mid)},{_num(y0)} {_num(mid)},{_num(y1)} {_num(x1)},{_num(y1)}")
        x0, y0 = x1, y1
    return " ".join(out)


def _node_style(diagram: Diagram, node: str) -> dict[str, str]:
    style = dict(NODE_STYLE)
    for name in sorted(diagram.classes.get(node, ())):
        style.update(diagram.styles.get(name, {}))
    return style


def svg(diagram: Diagram, *, label: str = "lifecycle diagram", ident: str = "lifecycle") -> str:
    """The diagram as a standalone `<svg>` element (no external font, script or style);
    `ident` names its arrow marker, unique per diagram on a page."""
    boxes, paths, width, height = layout(diagram)
    esc = html.escape
    out = [f'<svg class="lifecycle" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{esc(label)}" '
           f'width="{_num(width)}" height="{_num(height)}" viewBox="0 0 {_num(width)} {_num(height)}" '
           f'font-family="ui-monospace, \'DejaVu Sans Mono\', Menlo, Consolas, monospace" font-size="{FONT_SIZE}">',
           f"<title>{esc(label)}</title>",
           f'<defs><marker id="{esc(ident)}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#475569"/></marker></defs>']
    for points in paths:
        out.append(f'<path class="edge" d="{_curve(points)}" fill="none" stroke="#475569" stroke-width="1.5" '
                   f'marker-end="url(#{esc(ident)}-arrow)"/>')
    for node, lines in diagram.nodes.items():
        box, style = boxes[node], _node_style(diagram, node)
        dash = f' stroke-dasharray="{esc(style["stroke-dasharray"])}"' if "stroke-dasharray" in style else ""
        classes = " ".join(["node", *sorted(diagram.classes.get(node, ()))])
        out.append(f'<g class="{classes}"><rect x="{_num(box.x)}" y="{_num(box.y)}" width="{_num(box.width)}" '
                   f'height="{_num(box.height)}" rx="6" fill="{esc(style["fill"])}" stroke="{esc(style["stroke"])}" '
                   f'stroke-width="{esc(style["stroke-width"].removesuffix("px"))}"{dash}/>')
        out.append(f'<text fill="{esc(style["color"])}">')
        for i, line in enumerate(lines):
            weight = ' font-weight="bold"' if i == 0 else ""
            out.append(f'<tspan x="{_num(box.x + PAD_X)}" y="{_num(box.y + PAD_Y + (i + 0.75) * LINE_HEIGHT)}"'
                       f"{weight}>{esc(line)}</tspan>")
        out.append("</text></g>")
    out.append("</svg>")
    return "\n".join(out)


def mermaid_svg(text: str, ident: str = "lifecycle") -> str:
    """`svg(parse_mermaid(text))`: what the HTML report puts where the Markdown has a mermaid block."""
    return svg(parse_mermaid(text), ident=ident)
