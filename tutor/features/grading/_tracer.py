"""The tracer ``tutor trace`` installs inside the traced script's process (sent as text, never imported).

It wraps ``torch.autograd.backward`` (which ``Tensor.backward`` calls), zeroing
(``Tensor.zero_``, ``Optimizer.zero_grad``, ``Module.zero_grad``), in-place
updates (also through ``.data``) and optimizers' steps, and sends each event
to the parent as it happens.
"""
import sys

torch = None       # imported by install(): this text runs inside the traced script's process
LEAVES, NAMES, STATE = {}, {}, {"count": 0}
LAST = {}          # leaf id -> did the last backward leave a non-zero gradient?
OPTIONS = {}
LIMIT = 20000
_orig = {}
EMIT = None


def _scopes():
    frame = sys._getframe(3)
    while frame is not None:
        yield frame.f_locals
        yield frame.f_globals
        frame = frame.f_back


def _name(t):
    """The name the script gives a tensor: a variable, or a module's parameter (model.weight)."""
    key = id(t)
    if key in NAMES:
        return NAMES[key]
    for scope in _scopes():
        for k, v in list(scope.items()):
            if k.startswith("_"):
                continue
            if v is t:
                NAMES[key] = k
                return k
            if isinstance(v, torch.nn.Module):
                for pname, p in v.named_parameters():
                    if p is t:
                        NAMES[key] = "%s.%s" % (k, pname)
                        return NAMES[key]
    NAMES[key] = "tensor%d" % (len(NAMES) + 1)
    return NAMES[key]


def _value(t):
    if t is None:
        return None
    flat = t.detach().reshape(-1)
    if flat.numel() == 1:
        return float(flat[0])
    if flat.numel() <= 8:
        return flat.tolist()
    return {"first": flat[:8].tolist(), "numel": int(flat.numel())}


def _nonzero(t):
    return t is not None and bool((t.detach() != 0).any())


def _same_storage(a, b):
    """a and b share memory (w and w.data, w.grad and w.grad.data)."""
    try:
        return a is b or (a.data_ptr() == b.data_ptr() and a.data_ptr() != 0 and a.shape == b.shape)
    except RuntimeError:
        return False


def _leaves(root):
    found, stack, seen = [], [root.grad_fn], set()
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        var = getattr(fn, "variable", None)
        if var is not None:
            found.append(var)
        stack.extend(f for f, _ in fn.next_functions)
    return found


def _record(kind, **data):
    if STATE["count"] < LIMIT:
        STATE["count"] += 1
        data["t"] = "event"
        data["event"] = kind
        data["n"] = STATE["count"]
        EMIT(data)


def _autograd_backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None,
                       inputs=None, **kwargs):
    # torch.autograd.backward: what Tensor.backward calls too, so both are seen once
    roots = [tensors] if isinstance(tensors, torch.Tensor) else list(tensors)
    leaves = []
    for r in roots:
        for t in (_leaves(r) if r.grad_fn is not None else ([r] if r.requires_grad else [])):
            if all(t is not x for x in leaves):
                leaves.append(t)
    for t in leaves:
        LEAVES[id(t)] = t
        _name(t)
    if OPTIONS.get("corrected"):
        for t in leaves:
            t.grad = None
    before = {_name(t): _value(t.grad) for t in leaves}
    carried = {_name(t): _nonzero(t.grad) for t in leaves}
    first = roots[0] if roots else None
    loss = float(first.detach().reshape(-1)[0]) if first is not None and first.numel() == 1 else None
    result = _orig["autograd_backward"](tensors, grad_tensors, retain_graph, create_graph, grad_variables,
                                        inputs, **kwargs)
    for t in leaves:
        LAST[id(t)] = _nonzero(t.grad)
    _record("backward", loss=loss, before=before, carried=carried,
            after={_name(t): _value(t.grad) for t in leaves})
    return result


def _leaf_of_grad(t):
    for leaf in LEAVES.values():
        if leaf.grad is not None and _same_storage(leaf.grad, t):
            return leaf
    return None


def _leaf_of(t):
    for leaf in LEAVES.values():
        if _same_storage(leaf, t):
            return leaf
    return None


def _updated(leaf):
    """An update of a leaf: did it use a gradient the last backward left, or one cleared since?"""
    cleared = LAST.get(id(leaf)) is True and not _nonzero(leaf.grad)
    _record("update", tensor=_name(leaf), value=_value(leaf), cleared=cleared)


def _zero_(self):
    leaf = _leaf_of_grad(self)
    if leaf is not None:
        if OPTIONS.get("corrected"):
            return self
        _record("zero", tensor=_name(leaf))
    return _orig["zero_"](self)


def _inplace(name):
    orig = getattr(torch.Tensor, name)

    def wrapper(self, *args, **kwargs):
        result = orig(self, *args, **kwargs)
        leaf = _leaf_of(self)
        if leaf is not None and (self is not leaf or not torch.is_grad_enabled()):
            _updated(leaf)                       # w -= ... under no_grad, or w.data -= ...
        elif leaf is None:
            owner = _leaf_of_grad(self)
            if owner is not None and not _nonzero(self):
                _record("zero", tensor=_name(owner))    # w.grad *= 0, w.grad.data.mul_(0) ...
        return result
    return wrapper


def install(options, emit):
    global EMIT, torch
    import torch
    token = options.pop("token", "")

    def signed(message):            # the parent keeps only what carries the run's token
        message["k"] = token
        emit(message)
    EMIT = signed
    OPTIONS.update(options)
    _orig["autograd_backward"] = torch.autograd.backward
    _orig["zero_"] = torch.Tensor.zero_
    torch.autograd.backward = _autograd_backward
    torch.Tensor.zero_ = _zero_
    for name in ("__isub__", "__iadd__", "sub_", "add_", "copy_", "mul_", "__imul__", "div_", "__itruediv__",
                 "fill_"):
        setattr(torch.Tensor, name, _inplace(name))
    zero_grad = torch.optim.Optimizer.zero_grad
    module_zero_grad = torch.nn.Module.zero_grad

    def opt_zero_grad(self, *a, **k):
        if OPTIONS.get("corrected"):
            return None
        _record("zero_grad")
        return zero_grad(self, *a, **k)

    def mod_zero_grad(self, *a, **k):
        if OPTIONS.get("corrected"):
            return None
        _record("zero_grad")
        return module_zero_grad(self, *a, **k)

    def after_step(optimizer, args, kwargs):
        # every optimizer (SGD, Adam ... override step()): torch's global post-step hook
        for group in optimizer.param_groups:
            for p in group["params"]:
                LEAVES[id(p)] = p
                _updated(p)
    torch.optim.Optimizer.zero_grad = opt_zero_grad
    torch.nn.Module.zero_grad = mod_zero_grad
    sys.modules["torch.optim.optimizer"].register_optimizer_step_post_hook(after_step)
    STATE["hooks"] = (torch.autograd.backward, torch.Tensor.zero_, torch.optim.Optimizer.zero_grad,
                      torch.nn.Module.zero_grad)


def finish(namespace):
    params = {}
    for key, t in LEAVES.items():
        params[NAMES.get(key, "?")] = _value(t)
    now = (torch.autograd.backward, torch.Tensor.zero_, torch.optim.Optimizer.zero_grad, torch.nn.Module.zero_grad)
    tampered = any(a is not b for a, b in zip(now, STATE["hooks"]))
    return {"parameters": params, "truncated": STATE["count"] >= LIMIT, "tampered": tampered,
            "events": STATE["count"]}
