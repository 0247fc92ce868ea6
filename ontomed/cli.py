"""The ``ontomed`` command line: a thin layer over the library (architecture.md §11).

Every verb takes ``--kb PATH`` (default ``$ONTOMED_KB``, else ``./ontomed-kb``).
Exit codes: 0 success, 1 a failed check, 2 bad input. Errors are one line on
stderr; set ``ONTOMED_DEBUG=1`` to see the traceback of an unexpected one.
"""

from __future__ import annotations

import difflib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .errors import BadInputError, OntomedError

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_KB = "./ontomed-kb"


def usage_message(exc: click.UsageError) -> str:
    """A usage error as one line: click's message, a close verb or flag when there is one,
    and where the help is (click prints the usage, a hint and the error on four lines)."""
    message = " ".join(exc.format_message().split())
    ctx = exc.ctx
    if ctx is not None and "Did you mean" not in message and isinstance(ctx.command, click.Group):
        name = getattr(exc, "command_name", None)
        if name is None and message.startswith("No such command "):
            name = message.removeprefix("No such command ").strip(" .'\"")
        if name:  # click before 8.4 suggests flags but not verbs
            close = difflib.get_close_matches(name, ctx.command.list_commands(ctx))
            if close:
                message += " Did you mean " + " or ".join(repr(c) for c in close[:3]) + "?"
    where = ctx.command_path if ctx is not None else "ontomed"
    stop = "" if message.endswith((".", "?", "!")) else "."
    return f"{message}{stop} See '{where} --help'."


def _usage_error(exc: click.UsageError) -> None:
    click.echo(f"error: {usage_message(exc)}", err=True)
    sys.exit(exc.exit_code)


class OntomedGroup(click.Group):
    """Adds plugins' commands on first look-up, reports plugins left out, and turns
    every OntomedError and usage error into one line, ``error: message``, with its
    exit code."""

    _plugins_loaded = False

    def _load_plugin_commands(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        from .plugins import get_plugin_manager

        try:
            get_plugin_manager().hook.register_commands(cli=self)
        except OntomedError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)

    @staticmethod
    def _report_plugins(ctx: click.Context) -> None:
        """Say once per command line, on stderr, which installed plugins were left out."""
        root = ctx.find_root()
        if root.meta.get("ontomed.plugins_reported"):
            return
        root.meta["ontomed.plugins_reported"] = True
        from .plugins import failed_plugins

        for name, problem in failed_plugins().items():
            click.echo(f"warning: plugin {name!r} left out: {problem}", err=True)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            self._load_plugin_commands()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        self._report_plugins(ctx)
        return super().list_commands(ctx)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The verbs with their first sentence whole (wrapped), never cut mid-sentence."""
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit=10_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:  # a flag of ``ontomed`` itself
            _usage_error(exc)
            raise  # not reached

    def invoke(self, ctx: click.Context) -> Any:
        self._load_plugin_commands()
        self._report_plugins(ctx)
        try:
            return super().invoke(ctx)
        except OntomedError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except click.UsageError as exc:  # an unknown verb, flag or value
            _usage_error(exc)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except BrokenPipeError:  # `ontomed query ... | head`
            sys.stderr.close()
            sys.exit(0)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:
            if os.environ.get("ONTOMED_DEBUG"):
                raise
            click.echo(f"internal error: {type(exc).__name__}: {exc} "
                       "(set ONTOMED_DEBUG=1 for the traceback)", err=True)
            sys.exit(1)


def _kb_path(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not value.strip():
        raise click.BadParameter("an empty path names no knowledge base (give a directory, "
                                 "or ':memory:')", ctx=ctx, param=param)
    return value


def kb_option(f: F) -> F:
    return click.option(
        "--kb", "kb_path", envvar="ONTOMED_KB", default=DEFAULT_KB, show_default=True,
        metavar="PATH", callback=_kb_path, help="Knowledge base directory (':memory:' for a "
        "throwaway one), or a SPARQL server's URL to read through (http://host:8000/sparql). "
        "Default: $ONTOMED_KB, else ./ontomed-kb.",
    )(f)


def open_kb(kb_path: str):  # -> KnowledgeBase
    """Open an existing knowledge base.

    Read verbs open it read-write too: RocksDB's read-only mode is undefined
    while another process writes, so one process at a time holds the store.
    """
    from .errors import StoreError
    from .kb import KnowledgeBase

    try:
        return KnowledgeBase(kb_path, create=False)
    except StoreError as exc:
        from .ops.backup import recorded_server

        url = recorded_server(kb_path) if "in use" in str(exc) else None
        if url is None:
            raise
        # the server's own endpoint is a read-only remote store: point the user at it
        raise StoreError(f"the knowledge base at {kb_path} is in use by another process: ontomed serve at "
                         f"{url} holds it; read it through the server with: --kb {url.rstrip('/')}/sparql") from exc


@click.group(cls=OntomedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ontomed", prog_name="ontomed")
@click.option("--update-url", metavar="URL", envvar="ONTOMED_KB_UPDATE_URL",
              help="With --kb naming a SPARQL server's query endpoint: its update endpoint (for a "
              "layout no preset knows; docs/scaling.md).")
@click.option("--store-url", metavar="URL", envvar="ONTOMED_KB_STORE_URL",
              help="With --kb naming a SPARQL server's query endpoint: its Graph Store endpoint, "
              "where bulk writes go.")
def cli(update_url: str | None = None, store_url: str | None = None) -> None:
    """ontomed: medical knowledge graphs with provenance, served over SPARQL.

    \b
    Start with:
      ontomed init                       create ./ontomed-kb with the ontology
      ontomed load facts.ttl             import RDF
      ontomed query 'SELECT ...'         ask it
      ontomed stats                      see what it holds
    """
    from .kb.remote import STORE_URL_ENV, UPDATE_URL_ENV

    # every command opens its knowledge base through KnowledgeBase(--kb), which reads these;
    # put back as they were when the command ends (a program may invoke several)
    ctx = click.get_current_context()
    for name, value in ((UPDATE_URL_ENV, update_url), (STORE_URL_ENV, store_url)):
        if value and os.environ.get(name) != value:
            before = os.environ.get(name)
            os.environ[name] = value
            ctx.call_on_close(lambda name=name, before=before: os.environ.__setitem__(name, before)
                              if before is not None else os.environ.pop(name, None))


# -- init --------------------------------------------------------------------
@cli.command(short_help="Create a knowledge base holding the ontology.")
@kb_option
def init(kb_path: str) -> None:
    """Create a knowledge base and load the ontomed ontology into it.

    On a knowledge base that holds an older ontomed ontology, replace it by
    this version's in one transaction, the data kept (a newer one is refused).

    \b
    Example:
      ontomed init --kb ./my-kb
    """
    from .kb import KnowledgeBase

    upgraded = None
    with KnowledgeBase(kb_path, create=True) as kb:
        fresh = kb.initialize()
        if not fresh:
            upgraded = kb.upgrade_ontology()
        n = len(kb)
        version = kb.ontology_version()
    where = kb_path if kb_path != ":memory:" else "memory (discarded on exit)"
    if fresh:
        click.echo(f"initialized knowledge base at {where} ({n} triples: the ontomed ontology {version})")
    elif upgraded is not None:
        click.echo(f"upgraded the ontology of {where} from {upgraded.old} to {upgraded.new} "
                   f"({upgraded.removed} triples removed, {upgraded.added} added; the data kept; "
                   f"{n} quads)")
    else:
        click.echo(f"knowledge base at {where} is already initialized (ontology {version}; {n} quads)")


# -- load --------------------------------------------------------------------
@cli.command(short_help="Import RDF files: Turtle, RDF/XML, JSON-LD and more.")
@kb_option
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", metavar="FMT",
              help="RDF format when the extension does not say: ttl, nt, nq, trig, xml, jsonld.")
@click.option("--graph", metavar="IRI", help="Load into this named graph instead of the default graph.")
@click.option("--force", is_flag=True, help="Load a file again even if this exact file was loaded before.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
def load(kb_path: str, files: tuple[Path, ...], fmt: str | None, graph: str | None,
         force: bool, as_json: bool) -> None:
    """Import RDF files (Turtle, N-Triples, N-Quads, TriG, RDF/XML, OWL, JSON-LD).

    Each file is loaded all-or-nothing: a malformed file is reported with its
    line and column and the knowledge base is left as it was. Files over 1 MiB
    go through Oxigraph's (atomic) bulk loader.

    \b
    Example:
      ontomed load ontologies/examples/*.ttl
      ontomed load --graph https://example.org/g extra.nt
    """
    kb = open_kb(kb_path)
    reports = []
    with kb:
        for path in files:
            report = kb.load(path, format=fmt, graph=graph, force=force, progress=None)
            reports.append(report)
            if not as_json:
                if report.skipped:
                    click.echo(f"skipped {path}: this exact file was already loaded "
                               f"({report.loaded_at}); use --force to load it again")
                else:
                    click.echo(f"loaded {path}: {report.quads} new quads ({report.format})")
    added = sum(r.quads for r in reports)
    if as_json:
        click.echo(json.dumps({"files": [r.__dict__ for r in reports], "quads_added": added}, indent=2))
    else:
        click.echo(f"{added} new quads in {kb_path}")


# -- query -------------------------------------------------------------------
@cli.command(short_help="Run a SPARQL query.")
@kb_option
@click.argument("sparql", required=False)
@click.option("--file", "-f", "query_file", type=click.File("r", encoding="utf-8"),
              help="Read the query from a file ('-' for standard input).")
@click.option("--format", "fmt", default=None, metavar="FMT",
              help="SELECT/ASK: table (default), json, xml, csv, tsv. "
              "CONSTRUCT/DESCRIBE: ttl (default), nt, xml, jsonld.")
def query(kb_path: str, sparql: str | None, query_file: Any, fmt: str | None) -> None:
    """Run a SPARQL query (the om:, ome:, rdfs:, skos:, owl:, prov: prefixes are known).

    \b
    Examples:
      ontomed query 'SELECT ?drug WHERE { ?drug om:treats ?d . ?d rdfs:label "type 2 diabetes mellitus"@en }'
      ontomed query --file q.rq --format csv > out.csv
      ontomed query 'ASK { ?x a om:Drug }'
    """
    from .output import print_query_result

    if query_file is not None and sparql is not None:
        raise BadInputError("give the query as an argument or with --file, not both")
    text = query_file.read() if query_file is not None else sparql
    if text == "-":
        text = sys.stdin.read()
    if not text or not text.strip():
        raise BadInputError("no query given (pass it as an argument, or --file q.rq)")
    from .kb.query_text import star_columns

    with open_kb(kb_path) as kb:
        result = kb.query(text)
        columns = None
        if hasattr(result, "variables"):  # SELECT *: the query's order, not Oxigraph's A-Z
            columns = star_columns(text, [v.value for v in result.variables])
        print_query_result(result, fmt, columns)


# -- export ------------------------------------------------------------------
@cli.command(short_help="Write the knowledge base as RDF, or as one OWL file for Protégé.")
@kb_option
@click.option("--format", "fmt", default="ttl", show_default=True, metavar="FMT",
              help="ttl, nt, nq, trig, xml, jsonld (nq and trig include every named graph).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
@click.option("--graph", metavar="IRI", help="Export this named graph instead of the default graph.")
@click.option("--protege", is_flag=True,
              help="One RDF/XML OWL 2 DL file of ontology + knowledge base, ready for Protégé.")
def export(kb_path: str, fmt: str, output: Path | None, graph: str | None, protege: bool) -> None:
    """Write the knowledge base as RDF.

    \b
    Examples:
      ontomed export --format nt -o kb.nt
      ontomed export --protege -o ontomed-kb.owl     # open in Protégé
    """
    with open_kb(kb_path) as kb:
        if protege:
            if graph:
                raise BadInputError("--protege exports the default graph; drop --graph")
            target: Any = output if output is not None else sys.stdout.buffer
            n = kb.export_protege(target)
            if output is not None:
                click.echo(f"wrote {n} triples to {output} (RDF/XML, OWL 2 DL)", err=True)
            return
        kb.export(output if output is not None else sys.stdout.buffer, fmt, graph=graph)
        if output is not None:
            click.echo(f"wrote {output}", err=True)


# -- stats -------------------------------------------------------------------
@cli.command(short_help="Count triples, entities, facts, evidence and documents.")
@kb_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats(kb_path: str, as_json: bool) -> None:
    """Show triples, named graphs, entities by class, facts by property and documents.

    \b
    Example:
      ontomed stats --json | jq .facts
    """
    from .output import print_stats

    with open_kb(kb_path) as kb:
        data = kb.stats()
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print_stats(data)


# -- check -------------------------------------------------------------------
@cli.command(short_help="Check consistency with the HermiT reasoner.")
@kb_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--memory", "memory_mb", type=click.IntRange(256, 65536), default=None,
              metavar="MB", help="Java heap for HermiT in MB (default 2000).")
def check(kb_path: str, as_json: bool, memory_mb: int | None) -> None:
    """Check the ontology and knowledge base for consistency with HermiT.

    Exit code 1 when inconsistent, with the entities and axioms that clash.

    \b
    Example:
      ontomed check
    """
    from .reasoning import check as run_check

    with open_kb(kb_path) as kb:
        report = run_check(kb, memory_mb=memory_mb)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        from .output import print_check

        print_check(report)
    if not report.consistent:
        sys.exit(1)


# -- serve -------------------------------------------------------------------
def _server_default(name: str) -> Any:
    from .web.config import ServerConfig

    return ServerConfig.__dataclass_fields__[name].default


@cli.command(short_help="Serve the SPARQL endpoint and the web pages.")
@kb_option
@click.option("--host", default=_server_default("host"), show_default=True,
              help="Address to listen on (0.0.0.0 for every interface).")
@click.option("--port", type=click.IntRange(0, 65535), default=_server_default("port"),
              show_default=True, help="Port (0: any free port; the URL printed says which).")
@click.option("--update-token", envvar="ONTOMED_UPDATE_TOKEN", show_envvar=True, default=None,
              metavar="TOKEN", help="Enable SPARQL Update and Graph Store writes for requests "
              "with 'Authorization: Bearer TOKEN'. Without it the endpoint is read-only.")
@click.option("--timeout", type=click.FloatRange(0.1), default=_server_default("timeout"),
              show_default=True, metavar="SECONDS", help="Stop a query after this long (503).")
@click.option("--max-rows", type=click.IntRange(0), default=_server_default("max_rows"),
              show_default=True, help="Cut results at this many rows, said in a header (0: no cap).")
@click.option("--max-body", type=click.IntRange(1024), default=_server_default("max_body"),
              show_default=True, metavar="BYTES", help="Refuse request bodies larger than this (413).")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Query worker processes (default: 4, or one per CPU core up to 8).")
@click.option("--cors-origins", default="*", show_default=True, metavar="ORIGINS",
              help="Comma-separated origins allowed to query from a browser page.")
@click.option("--generate-descriptions", is_flag=True,
              help="Entity pages also show the text generator's paragraph, checked against the "
              "graph (loads the model in each query worker; see ontomed generate --help).")
@click.option("--description-generator", metavar="ID", default=None,
              help="The registered text generator that writes that paragraph (default: "
              "transformer; ontomed plugins lists the installed ones).")
@click.option("--allow-service", "services", multiple=True, metavar="IRI",
              help="A SPARQL endpoint that queries may call with SERVICE (repeatable).")
def serve(kb_path: str, host: str, port: int, update_token: str | None, timeout: float,
          max_rows: int, max_body: int, workers: int | None, cors_origins: str,
          generate_descriptions: bool, description_generator: str | None,
          services: tuple[str, ...]) -> None:
    """Serve the knowledge base: SPARQL endpoint, Graph Store, query page.

    Runs under granian with an access log on stderr; Ctrl-C or SIGTERM
    finishes the requests in flight and stops. Read-only unless an update
    token is given.

    \b
    Examples:
      ontomed serve                        # http://127.0.0.1:8000/
      ontomed serve --port 8080 --timeout 10 --max-rows 10000
      ONTOMED_UPDATE_TOKEN=$(openssl rand -hex 16) ontomed serve
    """
    if kb_path == ":memory:":
        raise BadInputError("serve needs a knowledge base on disk (ontomed init --kb PATH)")
    from .ops.backup import forget_server, record_server
    from .web import ServerConfig, create_app
    from .web.engine import check_servable
    from .web.server import configure_logging
    from .web.server import serve as run_server

    settings: dict[str, Any] = {
        "host": host, "port": port, "update_token": update_token or None, "timeout": timeout,
        "max_rows": max_rows, "max_body": max_body, "service_allowlist": services,
        "generate_descriptions": generate_descriptions,
        "description_generator": description_generator,
        "cors_origins": tuple(o.strip() for o in cors_origins.split(",") if o.strip()) or ("*",),
    }
    if workers is not None:
        settings["workers"] = workers
    if description_generator is not None:
        if not generate_descriptions:
            raise BadInputError("--description-generator chooses who writes the paragraph that "
                                "--generate-descriptions turns on: give both")
        from .describe.service import text_generator

        text_generator(description_generator)  # an unknown id is refused now, not on each page
    config = ServerConfig(**settings)
    from .kb.remote import is_url

    remote = is_url(kb_path)  # a SPARQL server holds the store: nothing to lock or keep beside it
    if not remote:
        check_servable(kb_path)
        _prepare_caches(kb_path)
    configure_logging()
    mode = "updates need the token" if config.updates_enabled else "read-only"

    def announce(url: str) -> None:
        if not remote:
            record_server(kb_path, url)  # so ontomed backup can find who holds the store
        click.echo(f"serving {kb_path} at {url} (SPARQL endpoint {url}sparql, {mode}; "
                   "Ctrl-C to stop)")

    try:
        run_server(lambda: create_app(kb_path, config), config, announce=announce)
    except OSError as exc:
        raise BadInputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    finally:
        if not remote:
            forget_server(kb_path)
    click.echo("stopped", err=True)


def _prepare_caches(kb_path: str) -> None:
    """Build what the pages and the applications precompute (the name index of the search
    box, names in entity URLs and the case of names in sentences; the diagnosis model) here,
    once, and keep it beside the knowledge base: the query workers open the store read-only
    and could only each build their own (6-8 s for the names, 15-30 s for the model on the
    full vocabularies), again after every restart. Nothing to do when they are current."""
    from .apps import prepare
    from .kb.names import name_index

    with open_kb(kb_path) as kb:
        name_index(kb)
        prepare(kb, notify=lambda line: click.echo(line, err=True))


def main() -> None:
    cli(prog_name="ontomed")


if __name__ == "__main__":
    main()
