"""torch.compile's machinery (``torch._dynamo``) is loaded in a job only when the job needs it.

A batch's worker used to import it up front (an optimizer's ``step()`` imports it: about 1.8 s of CPU, and a
bigger process to fork per job).  The worker now holds a stand-in that does what the real module does
outside compilation and loads the real one at the first other use.  These tests hold jobs to torch's own
results: optimizers give torch's values without loading it; ``torch.func``, ``torch.compile`` and a
submodule import load it and work, and the worker then loads it for the jobs after; introspection that
walks every module (``inspect``, ``torch.testing``) never loads it half-way through another import.
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


@pytest.fixture(scope="module")
def worker():
    pool = Pool(1, "sandbox", Limits(wall=60, cpu=60), warm=True)
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
    assert run.result["slow_imports"] is False


def test_torch_func_compile_and_submodules_load_it_and_later_jobs_find_it_loaded():
    pool = Pool(1, "sandbox", Limits(wall=60, cpu=60), warm=True)
    try:
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
        assert first.result["slow_imports"] is True
        later = pool.run(_job(f'''
def f(seed):
    print({KIND})
    return seed
'''))
        assert later.result["output"].split() == ["module"]        # the worker loaded it after the first job
    finally:
        pool.close()


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
assert ns["defer_dynamo"]()
assert not ns["defer_dynamo"]()          # once only
got = []
def go():
    import torch._dynamo
    got.append(torch._dynamo.config is sys.modules["torch._dynamo"].config)
threads = [threading.Thread(target=go) for _ in range(4)]
[t.start() for t in threads]
[t.join() for t in threads]
from torch._dynamo import *
print(__import__("json").dumps([got, type(sys.modules["torch._dynamo"]).__name__, "optimize" in dir()]))
'''
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.splitlines()[-1]) == [[True] * 4, "module", True]


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


def test_a_job_sees_the_same_torch_whether_or_not_its_worker_loaded_torch_compile_before():
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
        after = {name: pool.run(_probe_job(body)) for name, body in PROBES.items()}   # the real module since
    finally:
        pool.close()
    for name in PROBES:
        for when, run in (("fresh", fresh[name]), ("after", after[name])):
            assert run.result is not None and run.result["results"] == [{"value": 1.0}], (name, when, run)
            assert _last_line(run.result["output"]) == expected[name], (name, when, run.result["output"])
