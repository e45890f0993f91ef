"""``torch._dynamo`` (torch.compile's machinery) loaded only when a job needs it.

Part of the worker's program (see ``_worker.py``); never imported by the tutor.

An optimizer's ``step()`` imports ``torch._dynamo`` only to call two things
that do nothing outside ``torch.compile``: ``graph_break()`` (an empty
function) and ``disable(fn)`` (run ``fn`` with compilation switched off).
Importing it costs the worker about 1.8 s of CPU and makes every fork
larger.  So the worker puts a stand-in at ``sys.modules["torch._dynamo"]``
that answers those two exactly as the real module does while nothing is
compiling (and nothing can be compiling before the real module is loaded),
and loads the real module the moment anything else is asked of it: any other
attribute, or the import of one of its submodules (``torch.func`` and
``torch.compile`` do that).  A ``disable``-wrapped function checks again at
each call, so after the real module is loaded it behaves as torch's own.
"""
import importlib
import importlib.util
import sys
import threading
import types

DYNAMO = "torch._dynamo"
_LOADING = threading.RLock()      # (re-entered if the real module, loading, asks the stand-in)


class DeferredDynamo(types.ModuleType):
    """``torch._dynamo`` before anything has needed it (see the module's docstring)."""

    def __getattr__(self, name):
        # a module's own dunders are what introspection probes on every module in sys.modules (inspect does
        # while torch imports its distributed code): they never load it; ``__all__`` (``import *``) does
        if name.startswith("__") and name.endswith("__") and name != "__all__":
            raise AttributeError(name)
        return getattr(load_dynamo(), name)


def real_dynamo():
    """The real module if it is loaded (possibly still loading), else None."""
    mod = sys.modules.get(DYNAMO)
    return None if mod is None or isinstance(mod, DeferredDynamo) else mod


def load_dynamo():
    """Replace the stand-in by the real module (imported now, once) and return it."""
    with _LOADING:
        real = real_dynamo()
        if real is not None:
            return real
        stand_in = sys.modules.pop(DYNAMO, None)
        torch = sys.modules.get("torch")
        if torch is not None and stand_in is not None and torch.__dict__.get("_dynamo") is stand_in:
            del torch._dynamo
        try:
            return importlib.import_module(DYNAMO)
        except BaseException:
            if stand_in is not None and DYNAMO not in sys.modules:
                sys.modules[DYNAMO] = stand_in      # (the next use tries again)
            raise


def deferred_graph_break(msg=""):
    """``torch._dynamo.graph_break``: outside compilation it does nothing (torch's own is an empty function)."""


def deferred_disable(fn=None, recursive=True, **options):
    """``torch._dynamo.disable``: outside compilation, ``fn`` itself; once the real module is loaded, its
    ``disable(fn)`` (decided at each call until then)."""
    if fn is None or not callable(fn):
        return load_dynamo().disable(fn, recursive, **options)
    real = None

    def call(*args, **kwargs):
        nonlocal real
        if real is None:
            dynamo = real_dynamo()
            if dynamo is None or not hasattr(dynamo, "disable"):
                return fn(*args, **kwargs)
            real = dynamo.disable(fn, recursive, **options)
        return real(*args, **kwargs)

    return call


class _Loaded:
    """Loader for a submodule the real package already imported while it loaded: the same module object,
    its own spec kept."""

    def __init__(self, module):
        self.module, self.spec = module, getattr(module, "__spec__", None)

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        if self.spec is not None:
            module.__spec__ = self.spec


class _SubmoduleFinder:
    """The import of a submodule (``torch._dynamo.utils``) loads the real package first."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if not name.startswith(DYNAMO + ".") or real_dynamo() is not None or DYNAMO not in sys.modules:
            return None
        load_dynamo()
        if name in sys.modules:
            return importlib.util.spec_from_loader(name, _Loaded(sys.modules[name]))
        return None


def defer_dynamo():
    """Install the stand-in (once torch is imported, before anything loads the real module)."""
    torch = sys.modules.get("torch")
    if torch is None or DYNAMO in sys.modules:
        return False
    spec = importlib.util.find_spec(DYNAMO)
    if spec is None or not spec.submodule_search_locations:
        return False
    stand_in = DeferredDynamo(DYNAMO, DeferredDynamo.__doc__)
    stand_in.__spec__, stand_in.__loader__ = spec, spec.loader
    stand_in.__file__ = spec.origin
    stand_in.__path__ = list(spec.submodule_search_locations)
    stand_in.__package__ = DYNAMO
    stand_in.graph_break = deferred_graph_break
    stand_in.disable = deferred_disable
    sys.meta_path.insert(0, _SubmoduleFinder)
    sys.modules[DYNAMO] = stand_in
    torch._dynamo = stand_in
    return True
