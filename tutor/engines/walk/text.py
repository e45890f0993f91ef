"""A walk as text (node by node, every number beside torch's) and as a Graphviz DOT graph."""
from __future__ import annotations

from typing import Any

from ...foundation.i18n import _
from .model import Edge, Walk, close


def brief(v: Any) -> str:
    from ...foundation.term import fmt_number

    if isinstance(v, list):
        return "[" + ", ".join(brief(x) for x in v) + "]"
    return fmt_number(v) if v is not None else "None"


def shown(v: Any) -> str:
    """A value of the walk as the tutor writes it: 0.5, or [1, 2.5, 3] for a vector."""
    return brief(v)


def exactly(v: Any) -> str:
    """A point's value in full where the short form would hide it (1.0000000001, not 1)."""
    if isinstance(v, list):
        return "[" + ", ".join(exactly(x) for x in v) + "]"
    text = brief(v)
    return text if v is None or float(text) == float(v) else repr(float(v))


def lines(w: Walk, ok: str = "✓", bad: str = "✗") -> list[str]:
    """The backward pass as text, node by node in the order torch runs it, every number beside torch's (a
    vector's numbers in brackets, element by element); the last lines say what torch confirmed (or each
    problem, one per line)."""
    n = shown
    point = ", ".join(f"{k} = {exactly(v)}" for k, v in w.point.items())
    out = [_("The backward pass of {expr} at {point}, node by node (in the order torch runs it):").format(
        expr=w.expression, point=point)]
    if w.note:
        out.append("  " + w.note)
    if w.weights is not None:
        out.append("  " + _("backward(gradient={g}): the last result receives these weights, not 1").format(
            g=n(w.weights)))
    for node in w.nodes:
        part = f"{node.name} = {node.part}" if node.name else node.part
        out.append(f"  {part}   [{node.grad_fn}]   " + _("value {v}").format(v=n(node.value)))
        mark = ok if close(node.upstream, node.upstream_torch) else bad
        out.append("    " + _("receives dL/d({part}) = {g}   (torch: {t} {mark})").format(
            part=node.name or node.part, g=n(node.upstream), t=n(node.upstream_torch), mark=mark))
        for e in node.edges:
            out.append("    " + _edge_text(e, n(node.upstream)))
    for leaf in w.leaves:
        total = " + ".join(n(f) for f in leaf.flows) or "0"
        mark = ok if close(leaf.grad, leaf.grad_torch) else bad
        out.append("  " + _("{name}.grad = {total} = {g}   (AccumulateGrad; torch: {t} {mark})").format(
            name=leaf.name, total=total, g=n(leaf.grad), t=n(leaf.grad_torch), mark=mark))
    if w.problems:
        out += ["  ✗ " + p for p in w.problems]
    else:
        out.append("  " + _("(every node, link and number above is torch's own: grad_fn and next_functions, "
                            "retain_grad, autograd.grad)"))
    return out


def _edge_text(e: Edge, g: str) -> str:
    local, sends = shown(e.local_value), shown(e.sends)
    if e.shape == "broadcast":
        text = _("to {to}: local derivative {local} = {value}; sends the sum of {g} × {value} = {sends}").format(
            to=e.to, local=e.local, value=local, g=g, sends=sends)
    elif e.shape == "elementwise":
        text = _("to {to}: local derivative {local} = {value} (element by element); sends {g} × {value} = "
                 "{sends}").format(to=e.to, local=e.local, value=local, g=g, sends=sends)
    else:
        text = _("to {to}: local derivative {local} = {value}; sends {g} × {value} = {sends}").format(
            to=e.to, local=e.local, value=local, g=g, sends=sends)
    if e.local_torch is not None:
        text += "   " + _("(torch's local derivative: {t})").format(t=shown(e.local_torch))
    return text


def dot(w: Walk) -> str:
    """The graph as Graphviz DOT: a box per part (its grad_fn, value and gradient), an ellipse per leaf (its
    .grad); each edge labelled with what flows along it in the backward pass."""
    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    def g(v: Any) -> str:
        if isinstance(v, list):
            return "[" + ", ".join(g(x) for x in v) + "]"
        return f"{v:.6g}"

    lines = ["digraph backward {", "  rankdir=BT;", '  node [fontname="monospace"];']
    for i, n in enumerate(w.nodes):
        part = f"{n.name} = {n.part}" if n.name else n.part
        label = f"{part} | {n.grad_fn} | value {g(n.value)} | grad {g(n.upstream)}"
        lines.append(f"  n{i} [shape=box, label={q(label)}];")
    for lf in w.leaves:
        lines.append(f"  {q('leaf_' + lf.name)} [shape=ellipse, label={q(f'{lf.name} | grad {g(lf.grad)}')}];")
    for i, n in enumerate(w.nodes):
        for e in n.edges:
            src = q(f"leaf_{e.to}") if e.node is None else f"n{e.node}"
            lines.append(f"  {src} -> n{i} [label={q(g(e.sends))}];")
    lines.append("}")
    return "\n".join(lines)


