"""Built-in commands for the bundled vocabularies: ``ontomed vocab import`` and ``ontomed search``."""

from __future__ import annotations

import json

import click

from ..hookspecs import hookimpl

SOURCES_HELP = "drugs, diseases, hpo, interactions"


@hookimpl
def register_commands(cli: click.Group) -> None:
    from ..cli import kb_option

    @cli.group(name="vocab", short_help="Import the bundled medical vocabularies.")
    def vocab_group() -> None:
        """Real medical vocabularies: drugs, diseases, symptoms, genes and curated facts.

        \b
        Example:
          ontomed vocab import
        """

    @vocab_group.command(name="import", short_help="Import drugs, diseases, symptoms, genes and facts.")
    @kb_option
    @click.option("--sources", default=None, metavar="LIST",
                  help=f"Comma-separated sources to import (default: all of them: {SOURCES_HELP}, "
                  "and any vocabulary a plugin adds; ontomed plugins lists them).")
    @click.option("--rebuild", is_flag=True,
                  help="Build again from the source packages even when a cached build exists.")
    @click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
    def vocab_import(kb_path: str, sources: str | None, rebuild: bool, as_json: bool) -> None:
        """Import drugs, MeSH diseases and symptoms, HPO phenotypes, genes and their
        curated facts (with evidence) from the bundled source packages.

        Creates the knowledge base if it does not exist. A build is cached (in
        $XDG_CACHE_HOME/ontomed/vocab, else ~/.cache/ontomed/vocab) and reused
        until a source package or ontomed changes. Importing again adds nothing,
        and takes a second unless something may have been deleted since (a SPARQL
        update); --rebuild builds and imports regardless.

        \b
        Examples:
          ontomed vocab import
          ontomed vocab import --sources drugs,interactions --json | jq .summaries
        """
        from ..kb import KnowledgeBase
        from ..vocab import import_vocabulary, parse_sources

        selected = parse_sources(sources)
        with KnowledgeBase(kb_path, create=True) as kb:
            report = import_vocabulary(kb, selected, progress=None, force=rebuild)
        if as_json:
            click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
            return
        _print_report(report, kb_path)

    @cli.command(name="search", short_help="Find entities by label, synonym or identifier.")
    @kb_option
    @click.argument("text")
    @click.option("--type", "types", multiple=True, metavar="CLASS",
                  help="Only entities of this class: Drug, Disease, Symptom, Gene, Condition "
                  "(repeat for several).")
    @click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True,
                  help="At most this many entities.")
    @click.option("--refresh", is_flag=True, help="Rebuild the cached name index first.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    def search_command(kb_path: str, text: str, types: tuple[str, ...], limit: int,
                       refresh: bool, as_json: bool) -> None:
        """Find entities by label, synonym or identifier: the entity a public
        identifier names (MESH:D003924, HP:0002094, DB00331), exact names, then
        names starting with TEXT, then close spellings, with class and identifiers.

        \b
        Examples:
          ontomed search "heart attack"
          ontomed search metfromin --type Drug --limit 3 --json
          ontomed search HP:0002094
        """
        from ..cli import open_kb
        from ..errors import BadInputError
        from ..kb.names import search

        if not text.strip():
            raise BadInputError("nothing to search for (give a name)")
        with open_kb(kb_path) as kb:
            hits = search(kb, text, types=types, limit=limit, refresh=refresh)
        if as_json:
            click.echo(json.dumps({"query": text, "hits": [h.to_dict() for h in hits]},
                                  indent=2, ensure_ascii=False))
            return
        if not hits:
            click.echo(f"no entity is named like {text!r}", err=True)
            return
        from .. import iri as I
        from ..output import print_table

        rows = [[str(n), h.label or "", ",".join(h.types),
                 " ".join(f"{s}:{i}" for s, i in h.identifiers),
                 h.match if h.match in ("exact", "identifier") else f"{h.match} {h.score:g}: {h.matched}",
                 I.shorten(h.iri)]
                for n, h in enumerate(hits, 1)]
        print_table(["#", "label", "class", "identifiers", "match", "iri"], rows)


def _print_report(report, kb_path: str) -> None:  # noqa: ANN001 - a VocabReport
    from ..output import print_table

    if report.already_imported:
        how = f"already imported into {kb_path}, and nothing has been deleted since"
    elif report.from_cache:
        how = f"from the cached build {report.cache_file}"
    else:
        how = f"built in {report.build_seconds:.0f} s, cached as {report.cache_file}"
    click.echo(f"vocabularies: {', '.join(report.sources)} ({how})")
    rows = [[s.source, s.version, f"{s.entities:,}", f"{s.synonyms:,}", f"{s.facts:,}",
             f"{s.evidence:,}", f"{s.merged:,}", f"{s.unmapped:,}"]
            for s in report.summaries.values()]
    print_table(["source", "version", "entities", "synonyms", "facts", "evidence", "merged",
                 "unmapped"], rows)
    click.echo("merge rules")
    for rule, n in report.merges.items():
        click.echo(f"  {n:>7,}  {rule}")
    for s in report.summaries.values():
        if s.unmapped_names:
            shown = ", ".join(s.unmapped_names[:12]) + (", …" if len(s.unmapped_names) > 12 else "")
            click.echo(f"{s.source}: {s.unmapped} names not mapped to an entity: {shown}")
    click.echo(f"{report.entities:,} entities, {report.triples:,} triples; "
               f"{report.quads_added:,} new quads in {kb_path} ({report.import_seconds:.0f} s)")
