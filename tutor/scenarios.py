"""Predict-the-``.grad`` programs: a small scenario model.

A scenario is a list of leaves, an optional optimizer and a list of steps
(forward, backward, zeroing, updates, loops, ``no_grad`` ...).  It can be

* **simulated exactly** with sympy (:func:`simulate`), tracking every tensor's
  value, ``requires_grad``, ``is_leaf``, ``.grad`` and whether its graph was
  freed, with torch's own error messages;
* **rendered** as the real PyTorch program a learner reads (:func:`render`);
* **run** in torch (:func:`run_in_torch`) to prove the simulation right.

Misconceptions are *beliefs*: flags that change one rule of the simulation
(``backward`` overwrites ``.grad``, ``mean`` is a sum, ``no_grad`` does
nothing ...).  Running the same scenario with a belief switched on gives the
answer a learner holding that belief would predict (see :mod:`tutor.mistakes`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import TutorError
from .evaluate import to_python
from .i18n import _

ERR_SCALAR = "grad can be implicitly created only for scalar outputs"
ERR_NO_GRAD_FN = "element 0 of tensors does not require grad and does not have a grad_fn"
ERR_SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call .backward() "
    "or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time "
    "or if you need to access saved tensors after calling backward.")
ERR_ZERO_NONE = "'NoneType' object has no attribute 'zero_'"
ERR_UPDATE_NONE = "unsupported operand type(s) for *: 'float' and 'NoneType'"
ERR_INPLACE_LEAF = "a leaf Variable that requires grad is being used in an in-place operation."

STEP_KINDS = ("forward", "backward", "zero", "zero_grad", "set_none", "update", "step", "repeat",
              "set_grad_enabled", "retain_grad")
FORWARD_MODES = ("normal", "no_grad", "decorator", "set_grad_enabled")
ASK = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9_]*)"
                 r"(?P<attr>\.grad|\.is_leaf|\.requires_grad)?(?:\[(?P<index>\d+)\])?$")

BELIEFS = (
    "overwrite",             # backward() overwrites .grad
    "zero_anywhere",         # a zeroing anywhere in the loop body acts before backward
    "zero_grad_zeros",       # optimizer.zero_grad() leaves zeros (not None)
    "mean_is_sum",           # mean() does not divide by n
    "gradient_ignored",      # backward(v) gives the plain derivative
    "no_grad_ignored",       # no_grad / decorator / set_grad_enabled(False) change nothing
    "graph_kept",            # a second backward never needs retain_graph
    "second_backward_raises",  # every second backward raises (even without saved tensors)
    "nonleaf_grad",          # non-leaf tensors get .grad too
    "sign",                  # the update adds lr * grad
    "loop_plus_one",         # loops run one more time
    "loop_minus_one",        # loops run one time fewer
)


# ----------------------------------------------------------------- model

@dataclass
class Leaf:
    name: str
    values: list               # exact sympy numbers
    vector: bool
    requires_grad: bool = True


@dataclass
class Scenario:
    leaves: list
    steps: list                # dicts, validated
    ask: str
    dtype: str = "float32"
    optimizer: dict | None = None    # {"params": [...], "lr": exact}
    params: dict = field(default_factory=dict)   # drawn parameters (for display)


@dataclass
class Answer:
    """What ``print(ask)`` shows: numbers, None, a bool, or an error."""

    kind: str                  # number | none | bool | error
    values: list | None = None     # exact numbers (number)
    vector: bool = False
    flag: bool | None = None
    error: tuple | None = None     # (type name, first line)

    def floats(self):
        return [float(v) for v in self.values] if self.values is not None else None

    def key(self):
        """A hashable, rounded identity used to tell candidate answers apart."""
        if self.kind == "number":
            return ("number", tuple(float(f"{float(v):.6g}") for v in self.values))
        if self.kind == "bool":
            return ("bool", self.flag)
        if self.kind == "error":
            return ("error", self.error[0])
        return ("none",)

    def text(self) -> str:
        from .term import fmt_number

        if self.kind == "none":
            return "None"
        if self.kind == "bool":
            return "True" if self.flag else "False"
        if self.kind == "error":
            return f"{self.error[0]}: {self.error[1]}"
        shown = [fmt_number(float(v)) for v in self.values]
        return "[" + ", ".join(shown) + "]" if self.vector else shown[0]

    def to_json(self):
        data = {"kind": self.kind, "text": self.text()}
        if self.kind == "number":
            data["value"] = self.floats() if self.vector else float(self.values[0])
        elif self.kind == "bool":
            data["value"] = self.flag
        elif self.kind == "error":
            data["error"] = {"type": self.error[0], "message": self.error[1]}
        return data


class ScenarioError(Exception):
    """A torch exception the simulated program raises."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


# ------------------------------------------------------------- building

def build(spec: dict, params: dict, where: str = "scenario") -> Scenario:
    """A Scenario from an exercise's ``scenario`` table, with parameters substituted.

    Raises :class:`TutorError` naming the field for anything malformed.
    """
    from .mathlang import MathError, check_name, parse

    def fail(field_name, reason):
        raise TutorError(_("{where}.{field}: {reason}").format(where=where, field=field_name, reason=reason))

    import sympy

    param_syms = {sympy.Symbol(k, real=True): v for k, v in params.items()}

    def number_list(text, field_name):
        if isinstance(text, (int, float)):
            text = repr(text)
        if not isinstance(text, str):
            fail(field_name, _("expected a number or comma-separated numbers"))
        vector = "," in text
        parts = [p for p in text.split(",") if p.strip()]
        out = []
        for p in parts:
            try:
                value = parse(p, variables=set(params)).expr.xreplace(param_syms)
            except MathError as exc:
                fail(field_name, exc.one_line())
            if not value.is_number or not value.is_real:
                fail(field_name, _("'{text}' is not a number").format(text=p.strip()))
            out.append(value)
        if not out:
            fail(field_name, _("expected a value"))
        return out, vector

    leaves = []
    names = set()
    for i, item in enumerate(spec.get("leaves") or []):
        if not isinstance(item, dict) or "name" not in item or "value" not in item:
            fail(f"leaves[{i}]", _("each leaf needs a name and a value"))
        try:
            check_name(item["name"])
        except MathError as exc:
            fail(f"leaves[{i}].name", exc.reason)
        if item["name"] in names:
            fail(f"leaves[{i}].name", _("'{name}' is defined twice").format(name=item["name"]))
        values, vector = number_list(item["value"], f"leaves[{i}].value")
        leaves.append(Leaf(item["name"], values, vector, bool(item.get("requires_grad", True))))
        names.add(item["name"])
    if not leaves:
        fail("leaves", _("at least one leaf is needed"))

    optimizer = None
    if spec.get("optimizer"):
        opt = spec["optimizer"]
        if not isinstance(opt, dict) or "params" not in opt or "lr" not in opt:
            fail("optimizer", _("expected { params = [...], lr = ... }"))
        for p in opt["params"]:
            if p not in names:
                fail("optimizer.params", _("'{name}' is not a leaf").format(name=p))
        lr, _vec = number_list(opt["lr"], "optimizer.lr")
        optimizer = {"params": list(opt["params"]), "lr": lr[0]}

    defined = set(names)

    def check_steps(steps, path):
        out = []
        if not isinstance(steps, list):
            fail(path, _("expected a list of steps"))
        for i, step in enumerate(steps):
            p = f"{path}[{i}]"
            if not isinstance(step, dict):
                fail(p, _("each step is a table such as { forward = \"y\", expr = \"x^2\" }"))
            kinds = [k for k in STEP_KINDS if k in step]
            if len(kinds) != 1:
                fail(p, _("a step has exactly one of: {kinds}").format(kinds=", ".join(STEP_KINDS)))
            kind = kinds[0]
            s = {"kind": kind}
            if kind == "forward":
                name = step["forward"]
                try:
                    check_name(name)
                except MathError as exc:
                    fail(f"{p}.forward", exc.reason)
                if name in names:
                    fail(f"{p}.forward", _("'{name}' is a leaf; give the result another name").format(name=name))
                try:
                    parsed = parse(step.get("expr", ""), variables=defined | set(params))
                except MathError as exc:
                    fail(f"{p}.expr", exc.one_line())
                mode = step.get("mode", "normal")
                if mode not in FORWARD_MODES:
                    fail(f"{p}.mode", _("one of {modes}").format(modes=", ".join(FORWARD_MODES)))
                s.update(name=name, tree=_subs_tree(parsed.tree, params), mode=mode)
                defined.add(name)
            elif kind == "backward":
                if step["backward"] not in defined:
                    fail(f"{p}.backward", _("'{name}' is not defined before this step").format(
                        name=step["backward"]))
                s.update(name=step["backward"], retain_graph=bool(step.get("retain_graph", False)))
                if "gradient" in step:
                    s["gradient"] = number_list(step["gradient"], f"{p}.gradient")
            elif kind in ("zero", "set_none"):
                targets = step[kind] if isinstance(step[kind], list) else [step[kind]]
                for t in targets:
                    if t not in names:
                        fail(f"{p}.{kind}", _("'{name}' is not a leaf").format(name=t))
                guard = step.get("guard", "none")
                if guard not in ("none", "is_not_none", "and"):
                    fail(f"{p}.guard", _("one of none, is_not_none, and"))
                s.update(targets=targets, guard=guard)
            elif kind in ("zero_grad", "step"):
                if optimizer is None:
                    fail(p, _("{kind} needs an optimizer in the scenario").format(kind=kind))
            elif kind == "update":
                targets = step["update"] if isinstance(step["update"], list) else [step["update"]]
                for t in targets:
                    if t not in names:
                        fail(f"{p}.update", _("'{name}' is not a leaf").format(name=t))
                if "lr" not in step:
                    fail(f"{p}.lr", _("an update needs a learning rate"))
                lr, _vec = number_list(step["lr"], f"{p}.lr")
                s.update(targets=targets, lr=lr[0], no_grad=bool(step.get("no_grad", True)))
            elif kind == "repeat":
                count, _vec = number_list(step["repeat"], f"{p}.repeat")
                if not count[0].is_Integer or not 0 <= int(count[0]) <= 1000:
                    fail(f"{p}.repeat", _("a whole number of times from 0 to 1000"))
                s.update(count=int(count[0]), body=check_steps(step.get("body", []), f"{p}.body"),
                         var=step.get("var", "step"))
            elif kind == "set_grad_enabled":
                s.update(enabled=bool(step["set_grad_enabled"]))
            elif kind == "retain_grad":
                if step["retain_grad"] not in defined:
                    fail(f"{p}.retain_grad", _("'{name}' is not defined before this step").format(
                        name=step["retain_grad"]))
                s.update(name=step["retain_grad"])
            out.append(s)
        return out

    steps = check_steps(spec.get("steps"), "steps")
    ask = spec.get("ask", "")
    m = ASK.match(ask or "")
    if not m or m.group("name") not in defined:
        fail("ask", _("expected NAME, NAME.grad, NAME.is_leaf or NAME.requires_grad (optionally [i]) "
                      "of a defined tensor; got '{ask}'").format(ask=ask))
    dtype = spec.get("dtype", "float32")
    if dtype not in ("float32", "float64"):
        fail("dtype", _("float32 or float64"))
    return Scenario(leaves, steps, ask, dtype, optimizer, dict(params))


def _subs_tree(tree, params):
    """Replace parameter names by their drawn values."""
    kind = tree[0]
    if kind == "var" and tree[1] in params:
        return ("num", params[tree[1]])
    if kind == "call":
        return ("call", tree[1], tuple(_subs_tree(a, params) for a in tree[2]))
    if kind == "neg":
        return ("neg", _subs_tree(tree[1], params))
    if kind in ("add", "sub", "mul", "div", "pow"):
        return (kind, _subs_tree(tree[1], params), _subs_tree(tree[2], params))
    return tree


# ----------------------------------------------------------- simulation

@dataclass
class _Tensor:
    name: str
    values: list
    vector: bool
    leaf: bool
    requires_grad: bool
    grad: list | None = None
    expr: list | None = None         # non-leaf: per-element sympy expressions in element symbols
    at: dict | None = None           # non-leaf: element-symbol values when it was computed
    saves: bool = False              # its graph saves tensors (a second backward raises)
    freed: bool = False
    retains: bool = False
    inputs: set = field(default_factory=set)    # non-leaf tensors it was computed from (directly)
    leaves: set = field(default_factory=set)    # leaves requiring grad it depends on (through the graph)


@dataclass
class Event:
    """One step of a trace, for explanations: after each backward, every leaf's .grad."""

    kind: str
    detail: dict


@dataclass
class Run:
    answer: Answer
    events: list
    backward_calls: int


def simulate(s: Scenario, beliefs=()) -> Run:
    """Run the scenario exactly; ``beliefs`` switch on misconceptions (see BELIEFS)."""
    sim = _Simulator(s, frozenset(beliefs))
    return sim.run()


class _Simulator:
    def __init__(self, s: Scenario, beliefs):
        import sympy

        self.sp = sympy
        self.s = s
        self.beliefs = beliefs
        self.tensors: dict[str, _Tensor] = {}
        self.grad_enabled = True
        self.events: list[Event] = []
        self.backward_calls = 0
        self.symbols: dict[tuple, object] = {}

    def sym(self, name, i):
        key = (name, i)
        if key not in self.symbols:
            self.symbols[key] = self.sp.Symbol(f"{name}[{i}]", real=True)
        return self.symbols[key]

    def run(self) -> Run:
        for leaf in self.s.leaves:
            self.tensors[leaf.name] = _Tensor(leaf.name, list(leaf.values), leaf.vector, True, leaf.requires_grad)
        try:
            self.steps(self.s.steps)
            answer = self.read(self.s.ask)
        except ScenarioError as exc:
            answer = Answer("error", error=(exc.kind, exc.message))
        return Run(answer, self.events, self.backward_calls)

    # -- steps
    def steps(self, steps):
        if "zero_anywhere" in self.beliefs:
            steps = _zero_first(steps)
        for step in steps:
            getattr(self, "do_" + step["kind"])(step)

    def do_repeat(self, step):
        count = step["count"]
        if "loop_plus_one" in self.beliefs:
            count += 1
        if "loop_minus_one" in self.beliefs:
            count = max(0, count - 1)
        for _i in range(count):
            self.steps(step["body"])

    def do_set_grad_enabled(self, step):
        if "no_grad_ignored" not in self.beliefs:
            self.grad_enabled = step["enabled"]

    def do_retain_grad(self, step):
        t = self.tensors[step["name"]]
        if not t.leaf:
            t.retains = True

    def do_forward(self, step):
        from .sym import expand_elements

        tracking = self.grad_enabled and (step["mode"] == "normal" or "no_grad_ignored" in self.beliefs)
        env = {}
        for name, t in self.tensors.items():
            if t.leaf or not t.requires_grad:
                elems = [self.sym(name, i) for i in range(len(t.values))]
            else:
                elems = t.expr
            env[name] = elems
        used = _tree_vars(step["tree"])
        inputs_require = any(self.tensors[name].requires_grad for name in used)
        exprs, vector = expand_elements(step["tree"], env, {k: self.tensors[k].vector for k in env},
                                        mean_is_sum="mean_is_sum" in self.beliefs)
        at = {}
        for name, t in self.tensors.items():
            if t.leaf or not t.requires_grad:
                for i, v in enumerate(t.values):
                    at[self.sym(name, i)] = v
        values = [e.xreplace(at) for e in exprs]
        requires = tracking and inputs_require
        t = _Tensor(step["name"], values, vector, leaf=not requires, requires_grad=requires)
        if requires:
            t.expr = exprs
            t.at = at
            t.saves = _saves_tensors(step["tree"])
            # keep, per non-leaf input, its own expression for retain_grad
            t.inputs = {name for name in used if not self.tensors[name].leaf and self.tensors[name].requires_grad}
            for name in used:
                u = self.tensors[name]
                if u.leaf and u.requires_grad:
                    t.leaves.add(name)
                elif u.requires_grad:
                    t.leaves |= u.leaves
        self.tensors[step["name"]] = t

    def do_backward(self, step):
        sp = self.sp
        y = self.tensors[step["name"]]
        if not y.requires_grad:
            raise ScenarioError("RuntimeError", ERR_NO_GRAD_FN)
        gradient = step.get("gradient")
        if gradient is not None and "gradient_ignored" in self.beliefs:
            gradient = ([sp.Integer(1)] * len(gradient[0]), gradient[1])
        if gradient is None:
            if len(y.values) != 1:
                raise ScenarioError("RuntimeError", ERR_SCALAR)
            v = [sp.Integer(1)]
        else:
            v, v_vector = gradient
            if len(v) != len(y.values) or v_vector != y.vector:
                shape_g = f"torch.Size([{len(v)}])" if v_vector else "torch.Size([])"
                shape_y = f"torch.Size([{len(y.values)}])" if y.vector else "torch.Size([])"
                raise ScenarioError("RuntimeError", f"Mismatch in shape: grad_output[0] has a shape of "
                                                    f"{shape_g} and output[0] has a shape of {shape_y}.")
        if y.leaf:
            # backward of a leaf that requires grad: its .grad receives the gradient itself
            self.backward_calls += 1
            self._accumulate(y, list(v))
            self.events.append(Event("backward", {"of": y.name, "grads": self._leaf_grads()}))
            return
        graph = [y] + self._ancestors(y)
        if any(t.freed for t in graph) and "graph_kept" not in self.beliefs:
            raises = any(t.freed and t.saves for t in graph) or "second_backward_raises" in self.beliefs
            if raises:
                raise ScenarioError("RuntimeError", ERR_SECOND_BACKWARD)
        self.backward_calls += 1
        L = sum((vi * e for vi, e in zip(v, y.expr)), start=sp.Integer(0))
        for name in sorted(y.leaves):
            t = self.tensors[name]
            # every leaf in the graph gets a .grad, even an identically zero one (x - x)
            elems = [self.sym(name, i) for i in range(len(t.values))]
            g = [sp.diff(L, e).xreplace(y.at) for e in elems]
            self._accumulate(t, g)
        # non-leaf tensors that retain their grad (or all, under the nonleaf_grad belief)
        for name, t in self.tensors.items():
            if t.leaf or t is y or not t.requires_grad:
                continue
            if not (t.retains or "nonleaf_grad" in self.beliefs):
                continue
            g = self._grad_wrt_nonleaf(y, t, v)
            if g is not None:
                self._accumulate(t, g)
        if y.retains or "nonleaf_grad" in self.beliefs:
            self._accumulate(y, list(v))
        if not step.get("retain_graph"):
            for t in graph:
                t.freed = True
        self.events.append(Event("backward", {"of": y.name, "grads": self._leaf_grads()}))

    def _leaf_grads(self):
        return {n: (None if t.grad is None else list(t.grad))
                for n, t in self.tensors.items() if t.leaf and t.requires_grad}

    def _ancestors(self, y):
        """The non-leaf tensors y was computed from, through the whole graph."""
        seen, stack = [], list(y.inputs)
        while stack:
            t = self.tensors[stack.pop()]
            if t not in seen:
                seen.append(t)
                stack.extend(t.inputs)
        return seen

    def _accumulate(self, t, g):
        if t.grad is None or "overwrite" in self.beliefs:
            t.grad = list(g)
        else:
            t.grad = [a + b for a, b in zip(t.grad, g)]

    def _grad_wrt_nonleaf(self, y, t, v):
        """d(sum v*y)/dt for a non-leaf t that y was computed from (None if unrelated)."""
        sp = self.sp
        # substitute t's element expressions by fresh symbols in y's expressions
        stand = [sp.Dummy(f"{t.name}{i}") for i in range(len(t.values))]
        mapping = {}
        for i, e in enumerate(t.expr):
            mapping[e] = stand[i]
        replaced = [e.subs(mapping) for e in y.expr]
        L = sum((vi * e for vi, e in zip(v, replaced)), start=sp.Integer(0))
        if not any(L.has(s) for s in stand):
            return None
        at = dict(y.at)
        at.update({stand[i]: t.values[i] for i in range(len(stand))})
        return [sp.diff(L, s).xreplace(at) for s in stand]

    def _zero_allowed(self, t, step):
        guard = step.get("guard", "none")
        if guard == "is_not_none":
            return t.grad is not None
        return True

    def do_zero(self, step):
        sp = self.sp
        targets = [self.tensors[n] for n in step["targets"]]
        if step.get("guard") == "and":
            # `if (a.grad and b.grad) is not None:` evaluates a.grad's truth first
            a = targets[0]
            if a.grad is None:
                return
            if len(a.grad) > 1:
                raise ScenarioError("RuntimeError", "Boolean value of Tensor with more than one value is ambiguous")
            first_true = a.grad[0] != 0
            result = targets[1].grad if (first_true and len(targets) > 1) else a.grad
            if result is None:
                return
        for t in targets:
            if step.get("guard") == "is_not_none" and t.grad is None:
                continue
            if t.grad is None:
                raise ScenarioError("AttributeError", ERR_ZERO_NONE)
            t.grad = [sp.Integer(0)] * len(t.grad)

    def do_set_none(self, step):
        for n in step["targets"]:
            self.tensors[n].grad = None

    def do_zero_grad(self, step):
        sp = self.sp
        for n in self.s.optimizer["params"]:
            t = self.tensors[n]
            if "zero_grad_zeros" in self.beliefs and t.grad is not None:
                t.grad = [sp.Integer(0)] * len(t.grad)
            elif "zero_grad_zeros" not in self.beliefs:
                t.grad = None

    def _move(self, t, lr):
        sign = 1 if "sign" in self.beliefs else -1
        t.values = [v + sign * lr * g for v, g in zip(t.values, t.grad)]

    def do_update(self, step):
        for n in step["targets"]:
            t = self.tensors[n]
            if not step.get("no_grad", True) and t.requires_grad and "no_grad_ignored" not in self.beliefs:
                raise ScenarioError("RuntimeError", ERR_INPLACE_LEAF)
            if t.grad is None:
                raise ScenarioError("TypeError", ERR_UPDATE_NONE)
            self._move(t, step["lr"])
        self.events.append(Event("update", {"values": {n: list(self.tensors[n].values) for n in step["targets"]}}))

    def do_step(self, step):
        for n in self.s.optimizer["params"]:
            t = self.tensors[n]
            if t.grad is not None:      # SGD skips parameters whose grad is None
                self._move(t, self.s.optimizer["lr"])
        self.events.append(Event("update", {"values": {n: list(self.tensors[n].values)
                                                       for n in self.s.optimizer["params"]}}))

    # -- the printed value
    def read(self, ask) -> Answer:
        m = ASK.match(ask)
        t = self.tensors[m.group("name")]
        attr = m.group("attr")
        index = m.group("index")
        if attr == ".is_leaf":
            return Answer("bool", flag=t.leaf)
        if attr == ".requires_grad":
            return Answer("bool", flag=t.requires_grad)
        if attr == ".grad":
            values = t.grad
            if values is None:
                return Answer("none")
        else:
            values = t.values
        vector = t.vector
        if index is not None:
            i = int(index)
            if not vector or i >= len(values):
                raise TutorError(_("ask: {ask} indexes outside the tensor").format(ask=ask))
            values, vector = [values[i]], False
        return Answer("number", values=list(values), vector=vector)


def _zero_first(steps):
    """Belief 'zero_anywhere': zeroing steps in a body act before its backward."""
    zeros = [s for s in steps if s["kind"] in ("zero", "zero_grad", "set_none")]
    if not zeros:
        return steps
    # the learner pictures zeroing that works: guarded, before the backward
    zeros = [dict(s, guard="is_not_none") if s["kind"] == "zero" else s for s in zeros]
    rest = [s for s in steps if s["kind"] not in ("zero", "zero_grad", "set_none")]
    first_backward = next((i for i, s in enumerate(rest) if s["kind"] == "backward"), len(rest))
    return rest[:first_backward] + zeros + rest[first_backward:]


def _tree_vars(tree):
    from .evaluate import walk

    return {n[1] for n in walk(tree) if n[0] == "var"}


def _saves_tensors(tree) -> bool:
    """Does torch save a tensor for backward?  Sums, means, +, - and negation do not."""
    from .evaluate import walk

    for node in walk(tree):
        if node[0] in ("mul", "div", "pow"):
            return True
        if node[0] == "call" and node[1] not in ("sum", "mean"):
            return True
    return False




# -------------------------------------------------------------- render

def _literal(value) -> str:
    """An exact number as Python source: 3.0, 0.25, 1/3 -> (1/3)."""
    import sympy

    value = sympy.nsimplify(value) if not isinstance(value, sympy.Basic) else value
    f = float(value)
    if value.is_Integer:
        return f"{int(value)}.0"
    if sympy.Rational(repr(f)) == value:
        return repr(f)
    if value.is_Rational:
        return f"({value.p}/{value.q})"
    return repr(f)


def render(s: Scenario, print_ask: bool = True) -> str:
    """The scenario as a PyTorch program (what the learner reads)."""
    lines = ["import torch", ""]
    dtype_arg = ", dtype=torch.float64" if s.dtype == "float64" else ""
    decorated: list[str] = []
    for leaf in s.leaves:
        data = ("[" + ", ".join(_literal(v) for v in leaf.values) + "]") if leaf.vector else _literal(leaf.values[0])
        rg = ", requires_grad=True" if leaf.requires_grad else ""
        lines.append(f"{leaf.name} = torch.tensor({data}{rg}{dtype_arg})")
    if s.optimizer:
        params = ", ".join(s.optimizer["params"])
        lines.append(f"opt = torch.optim.SGD([{params}], lr={_literal(s.optimizer['lr'])})")
    body = _render_steps(s.steps, 0, decorated)
    if decorated:
        lines.append("")
        lines.extend(decorated)
    lines.append("")
    lines.extend(body)
    if print_ask:
        lines.append(f"print({s.ask})")
    return "\n".join(lines) + "\n"


def _render_steps(steps, depth, decorated) -> list[str]:
    pad = "    " * depth
    out = []
    for step in steps:
        kind = step["kind"]
        if kind == "forward":
            code = to_python(step["tree"])
            mode = step["mode"]
            if mode == "no_grad":
                out += [f"{pad}with torch.no_grad():", f"{pad}    {step['name']} = {code}"]
            elif mode == "decorator":
                fname = f"compute_{step['name']}"
                args = sorted(_tree_vars(step["tree"]))
                decorated += ["@torch.no_grad()", f"def {fname}({', '.join(args)}):", f"    return {code}", ""]
                out.append(f"{pad}{step['name']} = {fname}({', '.join(args)})")
            elif mode == "set_grad_enabled":
                out += [f"{pad}with torch.set_grad_enabled(False):", f"{pad}    {step['name']} = {code}"]
            else:
                out.append(f"{pad}{step['name']} = {code}")
        elif kind == "backward":
            args = []
            if "gradient" in step:
                values, vector = step["gradient"]
                data = "[" + ", ".join(_literal(v) for v in values) + "]" if vector else _literal(values[0])
                args.append(f"gradient=torch.tensor({data})")
            if step.get("retain_graph"):
                args.append("retain_graph=True")
            out.append(f"{pad}{step['name']}.backward({', '.join(args)})")
        elif kind == "zero":
            guard = step.get("guard", "none")
            inner = pad
            if guard == "is_not_none":
                out.append(f"{pad}if {step['targets'][0]}.grad is not None:")
                inner = pad + "    "
            elif guard == "and":
                cond = " and ".join(f"{t}.grad" for t in step["targets"])
                out.append(f"{pad}if ({cond}) is not None:")
                inner = pad + "    "
            out += [f"{inner}{t}.grad.zero_()" for t in step["targets"]]
        elif kind == "set_none":
            out += [f"{pad}{t}.grad = None" for t in step["targets"]]
        elif kind == "zero_grad":
            out.append(f"{pad}opt.zero_grad()")
        elif kind == "step":
            out.append(f"{pad}opt.step()")
        elif kind == "update":
            inner = pad
            if step.get("no_grad", True):
                out.append(f"{pad}with torch.no_grad():")
                inner = pad + "    "
            out += [f"{inner}{t} -= {_literal(step['lr'])} * {t}.grad" for t in step["targets"]]
        elif kind == "repeat":
            out.append(f"{pad}for {step.get('var', 'step')} in range({step['count']}):")
            body = _render_steps(step["body"], depth + 1, decorated)
            out += body or [f"{pad}    pass"]
        elif kind == "set_grad_enabled":
            out.append(f"{pad}torch.set_grad_enabled({step['enabled']})")
        elif kind == "retain_grad":
            out.append(f"{pad}{step['name']}.retain_grad()")
    return out


# ------------------------------------------------------------ run in torch

def run_in_torch(s: Scenario) -> Answer:
    """Execute the rendered program (our own generated code) and read the asked value."""
    import contextlib
    import io
    import math
    import warnings

    import torch

    code = render(s, print_ask=False)
    namespace = {"torch": torch, "math": math, "__name__": "__scenario__"}
    buffer = io.StringIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with contextlib.redirect_stdout(buffer):
                exec(compile(code, "<scenario>", "exec"), namespace)  # noqa: S102 - generated, not user text
                return _read_torch(namespace, s.ask)
    except Exception as exc:  # the program's own error is the answer
        return Answer("error", error=(type(exc).__name__, str(exc).splitlines()[0] if str(exc) else ""))
    finally:
        torch.set_grad_enabled(True)


def _read_torch(namespace, ask) -> Answer:
    import sympy
    import torch

    m = ASK.match(ask)
    t = namespace[m.group("name")]
    attr = m.group("attr")
    if attr == ".is_leaf":
        return Answer("bool", flag=bool(t.is_leaf))
    if attr == ".requires_grad":
        return Answer("bool", flag=bool(t.requires_grad))
    value = t.grad if attr == ".grad" else t
    if value is None:
        return Answer("none")
    value = value.detach()
    if m.group("index") is not None:
        value = value[int(m.group("index"))]
    vector = value.dim() > 0
    floats = value.reshape(-1).tolist() if isinstance(value, torch.Tensor) else [float(value)]
    return Answer("number", values=[sympy.Float(f, 17) for f in floats], vector=vector)


def answers_close(expected: Answer, got: Answer, *, rtol: float, floor: float, absolute: float,
                  strict: bool) -> bool:
    """Compare two answers.  Numbers: |got - exp| <= rtol*|exp| + floor*max|exp| + absolute.

    ``strict`` (torch against sympy) also requires the same shape and the same
    error message; a learner only has to name the error and the numbers.
    """
    if expected.kind != got.kind:
        return False
    if expected.kind == "none":
        return True
    if expected.kind == "bool":
        return expected.flag == got.flag
    if expected.kind == "error":
        return expected.error[0] == got.error[0] and (not strict or expected.error[1] == got.error[1])
    if len(expected.values) != len(got.values) or (strict and expected.vector != got.vector):
        return False
    a, b = expected.floats(), got.floats()
    scale = max((abs(x) for x in a), default=0.0)
    return all(abs(x - y) <= rtol * abs(x) + floor * scale + absolute for x, y in zip(a, b))


def same_answer(expected: Answer, got: Answer, dtype: str) -> bool:
    """Does torch's answer match the exact one (dtype-aware relative tolerance)?"""
    rtol = 1e-4 if dtype == "float32" else 1e-9
    zero = expected.kind == "number" and not any(expected.floats())
    return answers_close(expected, got, rtol=rtol, floor=rtol * 1e-2, absolute=1e-6 if zero else 0.0,
                         strict=True)
