"""Built-in commands for operating a knowledge base: ``ontomed backup`` and ``ontomed doctor``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from ..hookspecs import hookimpl


@hookimpl
def register_commands(cli: click.Group) -> None:
    from ..cli import kb_option

    @cli.command(name="backup", short_help="Copy the knowledge base consistently, even while served.")
    @kb_option
    @click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
    @click.option("--server", metavar="URL",
                  help="Back up through this ontomed serve (default: the server that holds the "
                  "knowledge base, if one does). Needs its update token in ONTOMED_UPDATE_TOKEN.")
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
    def backup_command(kb_path: str, directory: Path, server: str | None, as_json: bool) -> None:
        """Write a consistent copy of the knowledge base to a new DIRECTORY.

        Uses Oxigraph's online backup (hard links to the immutable table files on
        the same file system, so it takes a moment). The copy is itself a
        knowledge base: serve it with --kb DIRECTORY, or restore by moving it
        into the original's place. While ontomed serve holds the knowledge base
        the backup is taken by the server (POST /-/backup with the update token).

        \b
        Examples:
          ontomed backup backups/kb-$(date +%F)
          ONTOMED_UPDATE_TOKEN=... ontomed backup /srv/backups/kb-today     # while serving
        """
        from ..errors import StoreError
        from ..ops.backup import backup, backup_through_server, check_target, recorded_server

        check_target(directory)  # refused before any work
        token = os.environ.get("ONTOMED_UPDATE_TOKEN")
        if server:
            report = backup_through_server(server, directory, token)
        else:
            from ..cli import open_kb

            try:
                kb = open_kb(kb_path)
            except StoreError as exc:
                url = recorded_server(kb_path)
                if url is None or "in use" not in str(exc):
                    raise
                report = backup_through_server(url, directory, token)
            else:
                with kb:
                    report = backup(kb, directory).to_dict()
        if as_json:
            click.echo(json.dumps(report, indent=2))
            return
        click.echo(f"backed up {report['quads']:,} quads of {report['source']} to {report['path']} "
                   f"in {report['seconds']:.1f} s (ontology {report['ontology']})")

    @cli.command(name="doctor", short_help="Say what is wrong with a knowledge base, without writing.")
    @kb_option
    @click.option("--deep", is_flag=True, help="Read every quad (every block's checksum is verified).")
    @click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
    def doctor_command(kb_path: str, deep: bool, as_json: bool) -> None:
        """Check a knowledge base: its files, its lock, the store, the ontology version,
        the evidence and the caches; each problem with how to recover. Writes nothing.
        Exit code 1 when a check fails.

        \b
        Examples:
          ontomed doctor
          ontomed doctor --kb ./ontomed-kb --deep --json
        """
        import sys

        from ..ops.doctor import FAIL, WARN, diagnose

        report = diagnose(kb_path, deep=deep)
        if as_json:
            click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        else:
            marks = {FAIL: "FAIL", WARN: "warn"}
            for check in report.checks:
                click.echo(f"{marks.get(check.status, 'ok'):>4}  {check.name:<12} {check.message}")
                if check.fix and check.status != "ok":
                    click.echo(f"{'':4}  {'':<12} → {check.fix}")
            click.echo("healthy" if report.healthy else "not healthy: see the failed checks above")
        if not report.healthy:
            sys.exit(1)
