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
from importlib import _bootstrap  # the import system's per-module locks (they detect deadlocks)

DYNAMO = "torch._dynamo"
_STATE = {"loading": None}         # the thread that runs the real module's code, while it does


class DeferredDynamo(types.ModuleType):
    """``torch._dynamo`` before anything has needed it (see the module's docstring); a plain module once
    it is loaded."""

    def __getattr__(self, name):
        # a module's own dunders are what introspection probes on every module in sys.modules (inspect does
        # while torch imports its distributed code): they never load it; ``__all__`` (``import *``) does
        if (name.startswith("__") and name.endswith("__") and name != "__all__") or _loading_here():
            raise AttributeError(name)       # (while its own code runs: a partly made module, as any import)
        return getattr(_loaded(self, name), name)

    def __dir__(self):
        return dir(_loaded(self, "__dir__"))

    @property
    def __path__(self):
        """Read by the import system before it looks for a submodule (``torch._dynamo.utils``): the real
        package is loaded first, outside the import system's global lock."""
        if _STATE["loading"] is None:
            try:
                load_dynamo()
            except _bootstrap._DeadlockError:
                pass        # another thread is loading it and waits for this one: go on with the part made
        # (while another thread runs the package's code, this import goes on beside it, as Python's own
        # imports do with a package that is still being made: waiting could close a circle of locks)
        return self.__dict__["__path__"]


def _loaded(stand_in, name):
    """The real module, for a name asked of the stand-in (AttributeError where it could not be loaded: a
    stand-in whose loading failed is no longer torch._dynamo, and a fresh import makes another)."""
    real = load_dynamo()
    if real is None or isinstance(real, DeferredDynamo):
        raise AttributeError(name)
    return real


def _loading_here():
    return _STATE["loading"] == threading.get_ident()


def real_dynamo():
    """The real module if it is loaded, else None."""
    mod = sys.modules.get(DYNAMO)
    return None if mod is None or isinstance(mod, DeferredDynamo) else mod


def load_dynamo():
    """Run the real module's code in the stand-in (once) and return it, a plain module from then on."""
    with _bootstrap._ModuleLockManager(DYNAMO):
        mod = sys.modules.get(DYNAMO)
        if not isinstance(mod, DeferredDynamo) or _loading_here():
            return mod              # (another thread loaded it while this one waited)
        spec = mod.__spec__
        _STATE["loading"] = threading.get_ident()
        spec._initializing = True
        try:
            for own in ("graph_break", "disable"):
                mod.__dict__.pop(own, None)
            spec.loader.exec_module(mod)
        except BaseException:
            # as a failed import: gone, so that the next import starts afresh
            if sys.modules.get(DYNAMO) is mod:
                del sys.modules[DYNAMO]
            torch = sys.modules.get("torch")
            if torch is not None and torch.__dict__.get("_dynamo") is mod:
                del torch._dynamo
            raise
        finally:
            spec._initializing = False
            _STATE["loading"] = None
        mod.__class__ = types.ModuleType
        return mod


def deferred_graph_break(msg=""):
    """``torch._dynamo.graph_break``: outside compilation it does nothing (torch's own is an empty function)."""


def deferred_disable(fn=None, recursive=True, **options):
    """``torch._dynamo.disable`` as torch itself calls it on its own functions (``torch._disable_dynamo``:
    a plain function, ``wrapping=False``): outside compilation, ``fn`` itself; once the real module is
    loaded, its ``disable(fn)`` (decided at each call until then).  Any other use (a module, a class, a
    learner's own call) is the real module's."""
    if not isinstance(fn, types.FunctionType) or options != {"wrapping": False}:
        return load_dynamo().disable(fn, recursive, **options)
    real = None

    def call(*args, **kwargs):
        nonlocal real
        if real is None:
            dynamo = real_dynamo()
            if dynamo is None:
                return fn(*args, **kwargs)
            real = dynamo.disable(fn, recursive, **options)
        return real(*args, **kwargs)

    return call


class _Loaded:
    """Loader for a submodule that is already loaded: the import system gets the same module object back
    (never a second copy run again), its own spec kept."""

    def __init__(self, module, spec):
        self.module, self.spec = module, spec

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        if self.spec is not None:
            try:
                module.__spec__ = self.spec
            except AttributeError:      # (torch's config modules take no new attributes)
                pass


class _SubmoduleFinder:
    """A submodule of the package that the package imported while it loaded (reading ``__path__`` loads
    it): Python asks finders after it has looked in sys.modules, and would run such a one a second time
    beside that copy; it is handed back as it is."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if target is not None or not name.startswith(DYNAMO + ".") or name not in sys.modules:
            return None
        module = sys.modules.pop(name)      # (the import system puts the same object back at once)
        return importlib.util.spec_from_loader(name, _Loaded(module, getattr(module, "__spec__", None)))


def defer_dynamo():
    """Install the stand-in (once torch is imported, before anything loads the real module)."""
    torch = sys.modules.get("torch")
    if torch is None or DYNAMO in sys.modules:
        return False
    spec = importlib.util.find_spec(DYNAMO)
    if spec is None or not spec.submodule_search_locations or spec.loader is None:
        return False
    stand_in = DeferredDynamo(DYNAMO, DeferredDynamo.__doc__)
    stand_in.__spec__, stand_in.__loader__ = spec, spec.loader
    stand_in.__file__, stand_in.__cached__ = spec.origin, spec.cached
    stand_in.__dict__["__path__"] = list(spec.submodule_search_locations)     # (read through the property)
    stand_in.__package__ = DYNAMO
    stand_in.graph_break = deferred_graph_break
    stand_in.disable = deferred_disable
    sys.meta_path.insert(0, _SubmoduleFinder)
    sys.modules[DYNAMO] = stand_in
    torch._dynamo = stand_in
    return True
