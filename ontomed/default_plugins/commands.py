"""Built-in commands that are about plugins themselves (``ontomed plugins``)."""

from __future__ import annotations

import json

import click

from ..hookspecs import hookimpl


@hookimpl
def register_commands(cli: click.Group) -> None:
    @cli.command(name="plugins")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.option("--kb", "kb_path", envvar="ONTOMED_KB", default="./ontomed-kb",
                  help="Accepted for uniformity; plugins do not depend on the knowledge base.")
    def plugins_command(as_json: bool, kb_path: str) -> None:
        """List loaded plugins, their versions and the hooks they implement.

        \b
        Example:
          ontomed plugins --json
          ONTOMED_LOAD_PLUGINS=ontomed-example-extractor ontomed plugins
        """
        from ..plugins import failed_plugins, get_plugins

        plugins = get_plugins()
        failed = failed_plugins()
        if as_json:
            click.echo(json.dumps({"plugins": [p.to_dict() for p in plugins],
                                   "failed": failed}, indent=2))
            return
        for p in plugins:
            kind = "built-in" if p.builtin else (p.version or "unknown version")
            click.echo(f"{p.name}  ({kind})")
            for hook in p.hooks:
                click.echo(f"    {hook}")
        for name, error in failed.items():
            click.echo(f"{name}  FAILED TO LOAD: {error}")
