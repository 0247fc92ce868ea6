"""The plugin manager: built-ins and installed plugins, through the same hooks.

Built-in behaviour lives in ``ontomed.default_plugins`` modules registered by
name; third-party plugins are found through the ``ontomed`` entry-point group.

``ONTOMED_LOAD_PLUGINS``: a comma-separated list of installed plugins (entry
point or distribution names) to load; empty loads none. Built-ins always load.
``ONTOMED_TRACE_PLUGINS=1`` prints every hook call to stderr.

A plugin that fails to import, or that breaks the contract (a hook implemented
under a name no hook has, a misspelling such as ``register_extractor``), is
recorded (``failed_plugins()``) and left out: one broken package never takes
the command line down, and the command line says on stderr which plugin it
left out and why. Plugin authors get the strict behaviour from
``check_plugins()`` (``ontomed plugins --check``, exit code 1) and
``ontomed.testing.check_plugin``.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import pluggy

from . import hookspecs
from .components import Extractor, Linker, Reader, Redactor, TextGenerator, VocabularySource
from .errors import BadInputError, OntomedError

DEFAULT_PLUGINS: tuple[str, ...] = (
    "ontomed.default_plugins.commands",
    "ontomed.default_plugins.extraction",
    "ontomed.default_plugins.redaction",
    "ontomed.default_plugins.transformer_ner",
    "ontomed.default_plugins.generation",
    "ontomed.default_plugins.vocab",
    "ontomed.default_plugins.vocabularies",
    "ontomed.default_plugins.adjacency",
    "ontomed.default_plugins.diagnosis",
    "ontomed.default_plugins.treatment",
    "ontomed.default_plugins.repurposing",
    "ontomed.default_plugins.operations",
)
ENTRY_POINT_GROUP = "ontomed"



class PluginError(OntomedError):
    """A plugin breaks the plugin contract (for example a misspelled hook)."""

    exit_code = 2


@dataclass(frozen=True)
class PluginInfo:
    name: str
    version: str | None
    hooks: tuple[str, ...]
    builtin: bool

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "hooks": list(self.hooks),
                "builtin": self.builtin}


_pm: pluggy.PluginManager | None = None
_failed: dict[str, str] = {}     # installed plugins that could not be imported
_invalid: dict[str, str] = {}    # installed plugins that break the contract
_left_out: list[str] = []        # installed plugins ONTOMED_LOAD_PLUGINS leaves out
_versions: dict[str, str | None] = {}


def _allowed() -> set[str] | None:
    value = os.environ.get("ONTOMED_LOAD_PLUGINS")
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def _entry_points() -> Iterable[metadata.EntryPoint]:
    return metadata.entry_points(group=ENTRY_POINT_GROUP)


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, built on first use."""
    global _pm
    if _pm is None:
        _pm = _build()
    return _pm


def reset() -> None:
    """Forget the manager (tests, or after installing a plugin in a running process)."""
    global _pm
    _pm = None
    _failed.clear()
    _invalid.clear()
    _left_out.clear()
    _versions.clear()


def _build() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("ontomed")
    pm.add_hookspecs(hookspecs)
    if os.environ.get("ONTOMED_TRACE_PLUGINS"):
        pm.trace.root.setwriter(lambda message: sys.stderr.write(message))
        pm.enable_tracing()
    for name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    allowed = _allowed()
    for ep in _entry_points():
        dist = ep.dist.name if ep.dist is not None else None
        if allowed is not None and ep.name not in allowed and dist not in allowed:
            _left_out.append(ep.name)
            continue
        if pm.has_plugin(ep.name):
            continue
        try:
            plugin = ep.load()
        except Exception as exc:  # noqa: BLE001 - any import failure is reported, not fatal
            _failed[ep.name] = f"{type(exc).__name__}: {exc}"
            continue
        problem = contract_problem(plugin, pm)
        if problem is None:
            try:
                pm.register(plugin, name=ep.name)
            except pluggy.PluginValidationError as exc:
                problem = _one_line(exc)
        if problem is not None:
            _invalid[ep.name] = problem
            continue
        _versions[ep.name] = ep.dist.version if ep.dist is not None else None
    try:
        pm.check_pending()  # the built-ins: a mistake there is ontomed's own, and fatal
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"{_one_line(exc)} (the hooks are: {', '.join(hook_names())})") from None
    return pm


def hook_names() -> list[str]:
    """Every hook a plugin may implement."""
    return sorted(name for name, fn in vars(hookspecs).items()
                  if callable(fn) and hasattr(fn, "ontomed_spec"))


def contract_problem(plugin: Any, pm: pluggy.PluginManager | None = None) -> str | None:
    """What keeps ``plugin`` (a module or object with ``@hookimpl`` functions) from being
    loaded, in one line, or None: a hook name that no hook has (with the closest one),
    an argument the hook does not pass, or no hook at all."""
    import difflib

    manager = pm or pluggy.PluginManager("ontomed")
    if pm is None:
        manager.add_hookspecs(hookspecs)
    known = hook_names()
    implemented = []
    for attr in dir(plugin):
        opts = manager.parse_hookimpl_opts(plugin, attr)
        if opts is None:
            continue
        name = opts.get("specname") or attr
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {close[0]}?" if close else f"the hooks are: {', '.join(known)}"
            return f"{name} is not an ontomed hook ({hint})"
        spec_args = set(inspect.signature(getattr(hookspecs, name)).parameters)
        impl = getattr(plugin, attr)
        extra = [a for a in inspect.signature(impl).parameters if a not in spec_args]
        if extra:
            return (f"{name}() takes {', '.join(extra)}, which the hook does not pass "
                    f"(it passes {', '.join(sorted(spec_args))})")
        implemented.append(name)
    if not implemented:
        return f"it implements no hook (mark hook functions with @hookimpl; the hooks are: {', '.join(known)})"
    return None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def check_plugins() -> None:
    """The strict check for plugin authors: raises :class:`PluginError` naming every
    installed plugin that could not be loaded (``ontomed plugins --check``)."""
    failed = failed_plugins()
    if failed:
        raise PluginError("; ".join(f"plugin {name!r}: {why}" for name, why in failed.items()))


def failed_plugins() -> dict[str, str]:
    """Installed plugins left out because they could not be imported or break the
    contract: name → the reason, one line."""
    get_plugin_manager()
    return {**_failed, **_invalid}


def invalid_plugins() -> dict[str, str]:
    """Installed plugins left out because they break the contract (a misspelled hook)."""
    get_plugin_manager()
    return dict(_invalid)


def left_out_plugins() -> list[str]:
    """Installed plugins that ``ONTOMED_LOAD_PLUGINS`` leaves out."""
    get_plugin_manager()
    return list(_left_out)


def get_plugins() -> list[PluginInfo]:
    """Every loaded plugin with its version and the hooks it implements."""
    pm = get_plugin_manager()
    from . import __version__

    out = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        hooks = sorted(h.name for h in (pm.get_hookcallers(plugin) or []))
        builtin = name in DEFAULT_PLUGINS
        out.append(PluginInfo(name, __version__ if builtin else _versions.get(name), tuple(hooks), builtin))
    return sorted(out, key=lambda p: (not p.builtin, p.name))


def _collect(hook: Callable[..., Any], base: type[Any], kind: str, plural: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {}
    kinds = plural or kind + "s"

    def register(component: Any, aliases: Iterable[str] = ()) -> None:
        if isinstance(component, type):
            component = component()
        if not isinstance(component, base):
            raise PluginError(f"register_{kinds}: {component!r} is not a {base.__name__}")
        ident = getattr(component, "id", None)
        if not ident or not isinstance(ident, str):
            raise PluginError(f"register_{kinds}: {type(component).__name__} has no string id")
        for key in (ident, *aliases):
            if key in found and found[key] is not component:
                raise PluginError(f"two {kinds.replace('_', ' ')} are registered as {key!r}")
            found[key] = component

    hook(register=register)
    return found


def get_extractors() -> dict[str, Extractor]:
    return _collect(get_plugin_manager().hook.register_extractors, Extractor, "extractor")


def get_text_generators() -> dict[str, TextGenerator]:
    return _collect(get_plugin_manager().hook.register_text_generators, TextGenerator, "text_generator")


def get_readers() -> dict[str, Reader]:
    return _collect(get_plugin_manager().hook.register_readers, Reader, "reader")


def get_linkers() -> dict[str, Linker]:
    return _collect(get_plugin_manager().hook.register_linkers, Linker, "linker")


def get_redactors() -> dict[str, Redactor]:
    return _collect(get_plugin_manager().hook.register_redactors, Redactor, "redactor")


def get_vocabularies() -> dict[str, VocabularySource]:
    return _collect(get_plugin_manager().hook.register_vocabularies, VocabularySource, "vocabulary",
                    "vocabularies")


def get_extractor(name: str) -> Extractor:
    extractors = get_extractors()
    if name not in extractors:
        known = ", ".join(sorted(extractors)) or "none"
        message = f"no extractor {name!r} (loaded: {known})"
        left_out = left_out_plugins()
        if left_out:
            message += (f"; installed but not loaded, as ONTOMED_LOAD_PLUGINS="
                        f"{os.environ.get('ONTOMED_LOAD_PLUGINS', '')!r} leaves them out: "
                        f"{', '.join(left_out)}")
        failed = failed_plugins()
        if failed:
            message += f"; installed but broken (see `ontomed plugins`): {', '.join(failed)}"
        raise BadInputError(message)
    return extractors[name]
