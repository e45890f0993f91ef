"""torch.compile's machinery (``torch._dynamo``) and torch's symbolic shapes (sympy) are loaded in a job only
when the job needs them.

A batch's worker used to import both up front (an optimizer's ``step()`` imports the first: about 1.8 s of
CPU; ``backward(gradient=...)`` the second: 0.4 s; and a bigger process to fork per job).  The worker now
holds stand-ins that do what the real modules do on plain values and load the real one at the first other
use.  These tests hold jobs to torch's own results: optimizers and shape checks give torch's values (and
errors) without loading them; ``torch.func``, ``torch.compile``, a submodule import or a symbolic shape load
them and work, and the worker then loads them for the jobs after; introspection that walks every module
(``inspect``, ``torch.testing``) never loads them half-way through another import.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.engines.runner.pool import Pool
from tutor.engines.runner.worker import Limits

DEFERRED = Path(__file__).resolve().parents[1] / "tutor" / "engines" / "runner" / "_deferred.py"

KIND = 'type(__import__("sys").modules["torch._dynamo"]).__name__'
SHAPES = "torch.fx.experimental.symbolic_shapes"
SHAPES_KIND = f'type(__import__("sys").modules["{SHAPES}"]).__name__'

STEPS = '''
def steps(seed):
    out = []
    for make in (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), lambda p: torch.optim.Adam(p, lr=0.1),
                 lambda p: torch.optim.AdamW(p, lr=0.05), lambda p: torch.optim.RMSprop(p, lr=0.01)):
        w = torch.tensor([seed, 2.0, -1.0], requires_grad=True)
        opt = make([w])
        for _ in range(4):
            opt.zero_grad()
            ((w - 3) ** 2).sum().backward()
            opt.step()
        out.extend(w.detach().tolist())
    return out
'''

OPTIMIZERS = "import sys\nimport torch\n" + STEPS + '''

def f(seed):
    out = steps(seed)
    print("job", type(sys.modules["torch._dynamo"]).__name__)
    return out
'''


def _job(source: str, function: str = "f", calls: list[dict] | None = None) -> dict:
    return {"mode": "call", "source": source, "function": function, "calls": calls or [{"seed": 1.0}],
            "filename": "s.py"}


def _fresh_pool() -> Pool:
    """A worker of its own (a test that makes it load a module leaves the others' worker as it was)."""
    return Pool(1, "sandbox", Limits(wall=60, cpu=60), warm=True)


@pytest.fixture(scope="module")
def worker():
    pool = _fresh_pool()
    yield pool
    pool.close()


def _expected_optimizers(seed: float) -> list[float]:
    import torch

    ns = {"torch": torch}
    exec(STEPS, ns)         # the same steps, in this process's own torch
    return ns["steps"](seed)


def test_optimizers_give_torchs_values_without_loading_torch_compile(worker):
    run = worker.run(_job(OPTIMIZERS))
    assert run.status == "ok", run
    assert run.result["results"] == [{"value": _expected_optimizers(1.0)}]
    assert run.result["output"].split() == ["job", "DeferredDynamo"]
    assert run.result["slow_imports"] == []


def test_torch_func_compile_and_submodules_load_it_and_later_jobs_find_it_loaded():
    with _fresh_pool() as pool:
        first = pool.run(_job(f'''
import torch
def f(seed):
    print({KIND})
    import torch.func
    g = torch.func.grad(lambda t: (t ** 3).sum())(torch.tensor([seed, 2.0]))
    h = torch.compile(lambda t: (t * t).sum(), backend="eager")
    x = torch.tensor([seed, 2.0], requires_grad=True)
    h(x).backward()
    from torch._dynamo.utils import counters
    import torch._dynamo
    print({KIND}, torch._dynamo.utils.counters is counters)
    return g.tolist() + x.grad.tolist()
'''))
        assert first.status == "ok", first
        assert first.result["results"][0]["value"] == [3.0, 12.0, 2.0, 4.0]
        assert first.result["output"].split() == ["DeferredDynamo", "module", "True"]
        assert "torch._dynamo" in first.result["slow_imports"]
        later = pool.run(_job(f'''
def f(seed):
    print({KIND})
    return seed
'''))
        assert later.result["output"].split() == ["module"]        # the worker loaded it after the first job


GRADIENTS = """
def gradients(seed):
    x = torch.tensor([seed, 2.0, -1.0], requires_grad=True)
    (x ** 3).backward(gradient=torch.tensor([1.0, 0.5, 2.0]))
    out = x.grad.tolist()
    out += torch.autograd.grad(torch.sin(x), x, grad_outputs=torch.ones(3))[0].tolist()
    out.append(float(torch.autograd.gradcheck(lambda t: t ** 2, torch.tensor([seed, 3.0], dtype=torch.double,
                                                                            requires_grad=True))))
    try:
        (x * 2).backward(torch.ones(2))
    except RuntimeError as exc:
        print("error", exc)
    return out
"""


def test_shape_checks_give_torchs_values_and_errors_without_loading_sympy():
    code = "import sys\nimport torch\n" + GRADIENTS
    plain = subprocess.run([sys.executable, "-c", code + "\nprint(gradients(1.5))"], capture_output=True,
                           text=True, timeout=300)
    assert plain.returncode == 0, plain.stderr
    with _fresh_pool() as worker:        # (one that no earlier test made load a module)
        run = worker.run(_job(code + f"""
def f(seed):
    out = gradients(seed)
    print(out)
    print({SHAPES_KIND}, "sympy" in sys.modules)
    return out
""", calls=[{"seed": 1.5}]))
    assert run.status == "ok", run
    lines = run.result["output"].strip().splitlines()
    assert lines[:-1] == plain.stdout.strip().splitlines()       # the values and torch's own error message
    assert "Mismatch in shape" in lines[0]
    assert lines[-1].split() == ["DeferredShapes", "False"]
    assert run.result["slow_imports"] == []


def test_a_symbolic_shape_loads_them_and_later_jobs_find_them_loaded():
    with _fresh_pool() as pool:
        first = pool.run(_job(f"""
import sys
def f(seed):
    from torch.fx.experimental.symbolic_shapes import guard_or_false, sym_eq
    print({SHAPES_KIND}, guard_or_false(seed > 0), sym_eq((1, 2), [1, 2]), "sympy" in sys.modules)
    return seed
"""))
        assert first.status == "ok", first
        assert first.result["output"].split() == ["module", "True", "True", "True"]
        assert first.result["slow_imports"] == [SHAPES]
        later = pool.run(_job(f"""
def f(seed):
    print({SHAPES_KIND}, {KIND})
    return seed
"""))
        assert later.result["output"].split() == ["module", "DeferredDynamo"]   # that one only
        assert later.result["slow_imports"] == []


def test_introspection_of_every_module_never_loads_it_half_way(worker):
    run = worker.run(_job(f'''
import inspect, sys
import torch


def f(seed):
    dynamo = sys.modules["torch._dynamo"]
    seen = (hasattr(dynamo, "__file__"), hasattr(dynamo, "__wrapped__"), inspect.getmodule(f) is not None)
    print({KIND}, *seen)
    torch.testing.assert_close(torch.ones(2) * seed, torch.ones(2))     # imports torch.distributed via inspect
    return seed
'''))
    assert run.status == "ok", run
    assert run.result["output"].split() == ["DeferredDynamo", "True", "False", "True"]


def test_the_stand_in_loads_once_under_threads_and_for_a_star_import():
    code = f'''
import sys, threading, torch
ns = {{}}
exec(open({str(DEFERRED)!r}).read(), ns)
assert ns["defer_dynamo"]() and ns["defer_shapes"]()
assert not ns["defer_dynamo"]() and not ns["defer_shapes"]()          # once only
got, shapes = [], []
def go():
    import torch.fx.experimental.symbolic_shapes as s
    shapes.append(s.ShapeEnv is sys.modules["{SHAPES}"].ShapeEnv)
    import torch._dynamo
    got.append(torch._dynamo.config is sys.modules["torch._dynamo"].config)
threads = [threading.Thread(target=go) for _ in range(4)]
[t.start() for t in threads]
[t.join() for t in threads]
from torch._dynamo import *
print(__import__("json").dumps([got, shapes, type(sys.modules["torch._dynamo"]).__name__,
                                type(sys.modules["{SHAPES}"]).__name__, "optimize" in dir()]))
'''
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.splitlines()[-1]) == [[True] * 4, [True] * 4, "module", "module", True]


# what the red team found different between the stand-in and torch: each a job of its own, so that each meets
# the stand-in first; each prints one line, which must read the same everywhere
PROBES = {
    "disable a module": """
m = torch.compiler.disable(torch.nn.Linear(2, 1))
print(type(m).__name__, sum(p.numel() for p in m.parameters()))""",
    "disable a class": """
@torch.compiler.disable
class Net(torch.nn.Module):
    def forward(self, t):
        return t + 1
print(type(Net).__name__, isinstance(Net(), Net))""",
    "a submodule first, then its setting": """
import torch._dynamo.config
torch._dynamo.config.error_on_recompile = True
g = torch.compile(lambda t: t * 2, backend="eager", dynamic=False)
g(torch.ones(2))
try:
    g(torch.ones(3))
    print("no error")
except Exception as exc:
    print("error", type(exc).__name__)""",
    "an exception class imported first": """
from torch._dynamo.exc import Unsupported
def side(t):
    print("side effect", file=sys.stderr)
    return t * 2
try:
    print("compiled", torch.compile(side, backend="eager", fullgraph=True)(torch.ones(2)).tolist())
except Unsupported:
    print("fallback")
except Exception as exc:
    print("escaped", type(exc).__name__)""",
    "a torch utility that imports a submodule": """
from torch.utils.debug_log import debug_grad_log
x = torch.ones(2, requires_grad=True)
(x * x).sum().backward()
debug_grad_log(x)
print(x.grad.tolist())""",
    "a name bound before the load": """
import torch._dynamo as d
d.config
print(d is torch._dynamo, d.disable is sys.modules["torch._dynamo"].disable)""",
    "the shape checks by name": """
import pickle
from torch.fx.experimental.symbolic_shapes import sym_eq, expect_true
print(pickle.loads(pickle.dumps(sym_eq)) is sym_eq, sym_eq.__module__, sym_eq.__name__, expect_true.__qualname__)""",
    "the shape checks on other values": """
from torch.fx.experimental.symbolic_shapes import sym_eq, expect_true
out = [sym_eq([1, 2], (1, 2)), sym_eq((1, 2), (1,)), sym_eq(3, True), expect_true(False)]
for call in (lambda: sym_eq((1,), 1), lambda: expect_true(1), lambda: sym_eq(1.0, 1), lambda: expect_true(None)):
    try:
        out.append(call())
    except Exception as exc:
        out.append(type(exc).__name__ + ": " + str(exc))
print(out)""",
    "the shapes module as a whole": """
import os
import torch.fx.experimental.symbolic_shapes as s
print(os.path.basename(s.__file__), s.__name__, s.__package__, hasattr(s, "__path__"),
      s is torch.fx.experimental.symbolic_shapes, "ShapeEnv" in dir(s), s.sym_eq(1, 1))""",
    "a star import of the shapes": """
ns = {}
exec("from torch.fx.experimental.symbolic_shapes import *", ns)
print("ShapeEnv" in ns, "sym_eq" in ns)""",
    "a gradient of the wrong shape": """
x = torch.ones(2, requires_grad=True)
try:
    torch.autograd.grad(x * 2, x, grad_outputs=torch.ones(2, 1))
except RuntimeError as exc:
    print(exc)""",
}

FUNC = """
import torch
def f(seed):
    import torch.func
    return torch.func.grad(lambda t: (t ** 3).sum())(torch.tensor([seed]))[0].item()
"""


def _probe_job(body: str) -> dict:
    indented = "\n".join("    " + line for line in body.strip().splitlines())
    return _job(f"import sys\nimport torch\n\n\ndef f(seed):\n{indented}\n    return seed\n")


def _last_line(text: str) -> str:
    return text.strip().splitlines()[-1] if text.strip() else ""


def test_a_job_sees_the_same_torch_whether_or_not_its_worker_loaded_the_deferred_modules_before():
    expected = {}
    for name, body in PROBES.items():
        plain = subprocess.run([sys.executable, "-c", f"import sys\nimport torch\n{body}"], capture_output=True,
                               text=True, timeout=300)
        assert plain.returncode == 0, (name, plain.stderr)
        expected[name] = _last_line(plain.stdout)
    pool = Pool(1, "sandbox", Limits(wall=120, cpu=120), warm=True)
    try:
        fresh = {name: pool.run(_probe_job(body)) for name, body in PROBES.items()}   # the stand-in first
        assert pool.run(_job(FUNC)).result["results"] == [{"value": 3.0}]
        kinds = pool.run(_job(f"def f(seed):\n    print({KIND}, {SHAPES_KIND})\n    return seed\n"))
        assert kinds.result["output"].split() == ["module", "module"]     # both loaded by the worker since
        after = {name: pool.run(_probe_job(body)) for name, body in PROBES.items()}   # the real module since
    finally:
        pool.close()
    for name in PROBES:
        for when, run in (("fresh", fresh[name]), ("after", after[name])):
            assert run.result is not None and run.result["results"] == [{"value": 1.0}], (name, when, run)
            assert _last_line(run.result["output"]) == expected[name], (name, when, run.result["output"])


def test_what_a_job_says_it_loaded_is_only_a_hint_from_the_known_list():
    forged = '''
import os, json, stat
def f(seed):
    line = {"t": "result", "results": [{"value": seed}], "output": "", "slow_imports": %s}
    for fd in [int(n) for n in os.listdir("/proc/self/fd")]:
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.write(fd, (json.dumps(line) + "\\n").encode())
        except OSError:
            pass
    os._exit(0)
'''
    with _fresh_pool() as worker:
        for claim in ('"torch._dynamo"', '["os", 3, None, {"a": 1}, ["torch._dynamo"]]', '{"torch._dynamo": 1}'):
            run = worker.run(_job(forged % claim))
            assert run.status == "ok" and run.result["results"] == [{"value": 1.0}], (claim, run)
        after = worker.run(_job(f"def f(seed):\n    print({KIND}, {SHAPES_KIND})\n    return seed\n"))
        assert after.result["output"].split() == ["DeferredDynamo", "DeferredShapes"]     # nothing was loaded


def test_the_worker_programs_parts_define_no_name_twice():
    """The parts are sent as one program: a name defined in two of them would silently replace the other."""
    import ast

    from tutor.engines.runner import worker as worker_module

    seen: dict[str, str] = {}
    folder = Path(worker_module.__file__).parent
    for part in worker_module.PARTS:
        for node in ast.parse((folder / part).read_text()).body:
            names = [node.name] if isinstance(node, (ast.FunctionDef, ast.ClassDef)) else \
                [t.id for t in node.targets if isinstance(t, ast.Name)] if isinstance(node, ast.Assign) else []
            for name in names:
                assert name not in seen, f"{name} is defined in {seen[name]} and in {part}"
                seen[name] = part


def test_the_grader_knows_the_same_deferred_modules_as_the_worker():
    ns: dict = {}
    exec(DEFERRED.read_text(), ns)     # the worker's part, alone (it imports nothing of the tutor)
    from tutor.engines.runner.worker import DEFERRED as KNOWN

    assert sorted(KNOWN) == sorted(ns["_ANSWERS"]) == sorted([ns["DYNAMO"], ns["SHAPES"]])
