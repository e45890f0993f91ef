"""The course's topics, in the order the course teaches them (no heavy imports: the CLI lists them)."""
from __future__ import annotations

from ..foundation.i18n import N_

TOPICS: dict[str, str] = {
    "requires-grad": N_("requires_grad and dtype"),
    "graph-leaves": N_("the computation graph and leaf nodes"),
    "backward": N_("backward() and .grad"),
    "scalar-gradients": N_("scalar gradients"),
    "vector-gradients": N_("vector gradients"),
    "no-grad": N_("turning tracking off: no_grad, decorator, set_grad_enabled"),
    "accumulation": N_("gradient accumulation"),
    "zeroing": N_("zeroing gradients"),
    "retain-graph": N_("retain_graph"),
    "case-study": N_("the linear-regression case study"),
    "derivatives": N_("derivative drill: chain, product and quotient rules"),
}
