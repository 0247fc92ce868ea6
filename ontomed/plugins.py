"""The plugin manager: built-ins and installed plugins, through the same hooks.

Built-in behaviour lives in ``ontomed.default_plugins`` modules registered by
name; third-party plugins are found through the ``ontomed`` entry-point group.

``ONTOMED_LOAD_PLUGINS``: a comma-separated list of installed plugins (entry
point or distribution names) to load; empty loads none. Built-ins always load.
``ONTOMED_TRACE_PLUGINS=1`` prints every hook call to stderr.

A plugin that fails to import is recorded (``failed_plugins()``) and skipped,
so one broken package never takes the command line down; a plugin that
implements a hook that does not exist (a misspelling) is an error.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from typing import Any, TypeVar

import pluggy

from . import hookspecs
from .base import Extractor, Linker, Reader, TextGenerator
from .errors import BadInputError, OntomedError

DEFAULT_PLUGINS: tuple[str, ...] = (
    "ontomed.default_plugins.commands",
    "ontomed.default_plugins.extraction",
    "ontomed.default_plugins.transformer_ner",
    "ontomed.default_plugins.generation",
    "ontomed.default_plugins.vocab",
    "ontomed.default_plugins.repurposing",
)
ENTRY_POINT_GROUP = "ontomed"

T = TypeVar("T")


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
_failed: dict[str, str] = {}
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
            continue
        if pm.has_plugin(ep.name):
            continue
        try:
            plugin = ep.load()
            pm.register(plugin, name=ep.name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"plugin {ep.name!r}: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - any import failure is reported, not fatal
            _failed[ep.name] = f"{type(exc).__name__}: {exc}"
            continue
        _versions[ep.name] = ep.dist.version if ep.dist is not None else None
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        names = ", ".join(spec for spec in dir(hookspecs) if spec.startswith("register_"))
        raise PluginError(f"{exc} (the hooks are: {names})") from None
    return pm


def failed_plugins() -> dict[str, str]:
    """Installed plugins that could not be imported: name → error."""
    get_plugin_manager()
    return dict(_failed)


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


def _collect(hook: Callable[..., Any], base: type[T], kind: str) -> dict[str, T]:
    found: dict[str, T] = {}

    def register(component: Any, aliases: Iterable[str] = ()) -> None:
        if isinstance(component, type):
            component = component()
        if not isinstance(component, base):
            raise PluginError(f"register_{kind}s: {component!r} is not a {base.__name__}")
        ident = getattr(component, "id", None)
        if not ident or not isinstance(ident, str):
            raise PluginError(f"register_{kind}s: {type(component).__name__} has no string id")
        for key in (ident, *aliases):
            if key in found and found[key] is not component:
                raise PluginError(f"two {kind}s are registered as {key!r}")
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


def get_extractor(name: str) -> Extractor:
    extractors = get_extractors()
    if name not in extractors:
        known = ", ".join(sorted(extractors)) or "none"
        raise BadInputError(f"no extractor {name!r} (installed: {known})")
    return extractors[name]
