"""Built-in commands that are about plugins themselves (``ontomed plugins``)."""

from __future__ import annotations

import json

import click

from ..hookspecs import hookimpl


@hookimpl
def register_commands(cli: click.Group) -> None:
    @cli.command(name="plugins", short_help="List the loaded plugins and their hooks.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.option("--check", is_flag=True,
                  help="Exit with code 1 when an installed plugin could not be loaded (for plugin authors).")
    @click.option("--kb", "kb_path", envvar="ONTOMED_KB", default="./ontomed-kb",
                  help="Accepted for uniformity; plugins do not depend on the knowledge base.")
    def plugins_command(as_json: bool, check: bool, kb_path: str) -> None:
        """List loaded plugins, their versions and the hooks they implement.

        An installed plugin that cannot be imported, or that implements a hook
        under a name no hook has (a misspelling), is left out and listed with the
        reason; every command warns about it on stderr. --check makes that an
        error (exit code 1), for a plugin's tests and CI.

        \b
        Example:
          ontomed plugins --json
          ONTOMED_LOAD_PLUGINS=ontomed-example-extractor ontomed plugins
          ontomed plugins --check
        """
        from ..plugins import failed_plugins, get_plugins, left_out_plugins

        plugins = get_plugins()
        failed = failed_plugins()
        if as_json:
            click.echo(json.dumps({"plugins": [p.to_dict() for p in plugins],
                                   "failed": failed, "not_loaded": left_out_plugins()}, indent=2))
        else:
            for p in plugins:
                kind = "built-in" if p.builtin else (p.version or "unknown version")
                click.echo(f"{p.name}  ({kind})")
                for hook in p.hooks:
                    click.echo(f"    {hook}")
            for name, error in failed.items():
                click.echo(f"{name}  FAILED TO LOAD: {error}")
            for name in left_out_plugins():
                click.echo(f"{name}  (installed, not loaded: ONTOMED_LOAD_PLUGINS leaves it out)")
        if check and failed:
            click.echo(f"error: {len(failed)} installed plugin{'s' if len(failed) > 1 else ''} "
                       f"could not be loaded: {', '.join(failed)}", err=True)
            raise SystemExit(1)
