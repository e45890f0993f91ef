"""Two heavy parts of torch loaded only when a job needs them.

Part of the worker's program (see ``_worker.py``); never imported by the tutor.

``torch._dynamo`` (torch.compile's machinery): an optimizer's ``step()``
imports it only to call two things that do nothing outside ``torch.compile``:
``graph_break()`` (an empty function) and ``disable(fn)`` (run ``fn`` with
compilation switched off).  Importing it costs the worker about 1.8 s of CPU
and makes every fork larger.

``torch.fx.experimental.symbolic_shapes`` (and with it sympy): ``backward``
with a ``gradient``, ``torch.autograd.grad`` with ``grad_outputs`` import it
only to compare two shapes, through ``sym_eq`` and ``expect_true``, which on
plain sizes are ``==`` and a check that the result is a bool.  Importing it
costs about 0.4 s and 34 MB more to fork per job.

So the worker puts a stand-in at each one's place in ``sys.modules`` that
answers those few names exactly as the real module does on plain values (and
nothing can be symbolic before the real module is loaded), and loads the real
module the moment anything else is asked of it: any other attribute, or the
import of one of its submodules (``torch.func`` and ``torch.compile`` do
that).  A function handed out by a stand-in checks again at each call, so
after the real module is loaded it behaves as torch's own.
"""
import builtins
import functools
import importlib
import importlib.util
import operator
import sys
import threading
import types
from importlib import _bootstrap  # the import system's per-module locks (they detect deadlocks)

DYNAMO = "torch._dynamo"
SHAPES = "torch.fx.experimental.symbolic_shapes"
_LOADING = {}         # module name -> the thread that runs the real module's code, while it does


class Deferred(types.ModuleType):
    """A heavy module of torch before anything has needed it (see the module's docstring); a plain module
    once it is loaded."""

    def __getattr__(self, name):
        # a module's own dunders are what introspection probes on every module in sys.modules (inspect does
        # while torch imports its distributed code): they never load it; ``__all__`` (``import *``) does
        if (name.startswith("__") and name.endswith("__") and name != "__all__") or \
                _loading_here(self.__dict__["__name__"]):
            # (while its own code runs: a partly made module, as any import; the words are a module's own)
            raise AttributeError("module {!r} has no attribute {!r}".format(self.__dict__["__name__"], name))
        return getattr(_loaded(self, name), name)

    def __dir__(self):
        return dir(_loaded(self, "__dir__"))


class DeferredDynamo(Deferred):
    """``torch._dynamo`` before anything has needed it."""

    @property
    def __path__(self):
        """Read by the import system before it looks for a submodule (``torch._dynamo.utils``): the real
        package is loaded first, outside the import system's global lock."""
        if _LOADING.get(DYNAMO) is None:
            try:
                load_deferred(DYNAMO)
            except _bootstrap._DeadlockError:
                pass        # another thread is loading it and waits for this one: go on with the part made
        # (while another thread runs the package's code, this import goes on beside it, as Python's own
        # imports do with a package that is still being made: waiting could close a circle of locks)
        return self.__dict__["__path__"]


class DeferredShapes(Deferred):
    """``torch.fx.experimental.symbolic_shapes`` (and sympy) before anything has needed it."""


def _loaded(stand_in, name):
    """The real module, for a name asked of the stand-in (AttributeError where it could not be loaded: a
    stand-in whose loading failed is no longer the module, and a fresh import makes another)."""
    real = load_deferred(stand_in.__dict__["__name__"])
    if real is None or isinstance(real, Deferred):
        raise AttributeError(name)
    return real


def _loading_here(module):
    return _LOADING.get(module) == threading.get_ident()


def real_module(module):
    """The real module if it is loaded, else None."""
    mod = sys.modules.get(module)
    return None if mod is None or isinstance(mod, Deferred) else mod


def real_dynamo():
    return real_module(DYNAMO)


def deferred_now():
    """The modules still deferred (stand-ins in sys.modules), of those with answers (:data:`_ANSWERS`)."""
    return [name for name in _ANSWERS if isinstance(sys.modules.get(name), Deferred)]


def load_deferred(module):
    """Run the real module's code in the stand-in (once) and return it, a plain module from then on."""
    with _bootstrap._ModuleLockManager(module):
        mod = sys.modules.get(module)
        if not isinstance(mod, Deferred) or _loading_here(module):
            return mod              # (another thread loaded it while this one waited)
        spec = mod.__spec__
        _LOADING[module] = threading.get_ident()
        spec._initializing = True
        try:
            for own in _ANSWERS[module]:
                mod.__dict__.pop(own, None)
            spec.loader.exec_module(mod)
        except BaseException:
            # as a failed import: gone, so that the next import starts afresh
            if sys.modules.get(module) is mod:
                del sys.modules[module]
            parent, _, child = module.rpartition(".")
            holder = sys.modules.get(parent)
            if holder is not None and holder.__dict__.get(child) is mod:
                delattr(holder, child)
            raise
        finally:
            spec._initializing = False
            _LOADING.pop(module, None)
        mod.__class__ = types.ModuleType
        return mod


def load_dynamo():
    return load_deferred(DYNAMO)


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


def deferred_sym_eq(x, y):
    """``symbolic_shapes.sym_eq`` on plain sizes (lists and tuples of ints, ints): torch's own rule, ``==``
    joined with ``&``; anything else (a symbolic size, a wrong type) is the real module's."""
    if isinstance(x, (tuple, list)) and isinstance(y, (list, tuple)):
        if len(x) != len(y):
            return False
        return functools.reduce(operator.and_, map(deferred_sym_eq, x, y), True)
    if isinstance(x, int) and isinstance(y, int):
        return x == y
    return load_deferred(SHAPES).sym_eq(x, y)


def deferred_expect_true(a, skip=0):
    """``symbolic_shapes.expect_true`` on a bool: the bool (torch's own rule); anything else is the real
    module's (one frame more to skip: this one)."""
    if type(a) is bool:
        return a
    return load_deferred(SHAPES).expect_true(a, skip + 1)


_ANSWERS = {DYNAMO: {"graph_break": deferred_graph_break, "disable": deferred_disable},
            SHAPES: {"sym_eq": deferred_sym_eq, "expect_true": deferred_expect_true}}
for _module, _answers in _ANSWERS.items():
    for _name, _answer in _answers.items():      # named as the module's own (pickle, profilers, tracebacks)
        _answer.__module__, _answer.__name__, _answer.__qualname__ = _module, _name, _name
        _answer.__code__ = _answer.__code__.replace(co_name=_name, co_qualname=_name)


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


def _defer(module, kind):
    """Install a stand-in (once torch is imported, before anything loads the real module)."""
    parent, _, child = module.rpartition(".")
    if "torch" not in sys.modules or module in sys.modules:
        return False
    spec = importlib.util.find_spec(module)       # (imports the parent package where it is not yet)
    package = kind is DeferredDynamo
    if spec is None or spec.loader is None or bool(spec.submodule_search_locations) != package \
            or module in sys.modules or parent not in sys.modules:
        return False
    stand_in = kind(module)        # (no docstring: the real module's code sets its own, if it has one)
    stand_in.__dict__["__builtins__"] = builtins.__dict__      # as in any module whose code has run
    stand_in.__spec__, stand_in.__loader__ = spec, spec.loader
    stand_in.__file__, stand_in.__cached__ = spec.origin, spec.cached
    if package:
        stand_in.__dict__["__path__"] = list(spec.submodule_search_locations)     # (read through the property)
        stand_in.__package__ = module
        sys.meta_path.insert(0, _SubmoduleFinder)
    else:
        stand_in.__package__ = parent
    stand_in.__dict__.update(_ANSWERS[module])
    sys.modules[module] = stand_in
    setattr(sys.modules[parent], child, stand_in)
    return True


def defer_dynamo():
    return _defer(DYNAMO, DeferredDynamo)


def defer_shapes():
    return _defer(SHAPES, DeferredShapes)
