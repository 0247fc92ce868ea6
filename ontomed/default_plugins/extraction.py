"""Built-in readers, the dictionary extractor and linker, and ``ontomed build`` / ``extract``."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from ..hookspecs import Register, hookimpl


@hookimpl
def register_readers(register: Register) -> None:
    from ..readers import BUILTIN_READERS

    for reader in BUILTIN_READERS:
        register(reader())


@hookimpl
def register_extractors(register: Register) -> None:
    from ..extractors.dictionary import DictionaryExtractor

    register(DictionaryExtractor())


@hookimpl
def register_linkers(register: Register) -> None:
    from ..extractors.dictionary import VocabularyLinker

    register(VocabularyLinker())


def _names(value: str | None) -> list[str] | None:
    return [n.strip() for n in value.split(",") if n.strip()] if value else None


@hookimpl
def register_commands(cli: click.Group) -> None:
    from ..cli import kb_option, open_kb

    @cli.command()
    @kb_option
    @click.argument("sources", nargs=-1, required=True)
    @click.option("--extractors", metavar="A,B", help="Extractors to run (default: dictionary). "
                  "See `ontomed plugins`.")
    @click.option("--min-confidence", type=float, default=0.5, show_default=True,
                  help="Relations below this confidence are not asserted.")
    @click.option("--stdin-format", type=click.Choice(["text", "jsonl", "clinicaltrials"]), default="text",
                  show_default=True, help="What '-' (standard input) holds.")
    @click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
    def build(kb_path: str, sources: tuple[str, ...], extractors: str | None, min_confidence: float,
              stdin_format: str, as_json: bool) -> None:
        """Read sources, extract facts and add them with their evidence.

        SOURCES are files (.txt, .jsonl, PubMed .xml, ClinicalTrials.gov .json),
        directories of them, or '-' for standard input. Running it again on the
        same input adds nothing.

        \b
        Example:
          ontomed build corpus/
          ontomed build pubmed.xml trials.json --extractors dictionary
        """
        from ..pipeline import build as run_build

        with open_kb(kb_path) as kb:
            report = run_build(kb, list(sources), extractors=_names(extractors),
                               min_confidence=min_confidence, progress=None, stdin_format=stdin_format)
        if as_json:
            click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
            return
        _print_build(report)

    @cli.command()
    @kb_option
    @click.argument("text")
    @click.option("--extractors", metavar="A,B", help="Extractors to run (default: dictionary).")
    def extract(kb_path: str, text: str, extractors: str | None) -> None:
        """Print the mentions and relations in TEXT as JSON ('-' reads standard input).

        Nothing is written; the knowledge base supplies the vocabulary.

        \b
        Example:
          ontomed extract "Metformin is indicated for type 2 diabetes."
          echo "Aspirin inhibits PTGS1." | ontomed extract -
        """
        from ..pipeline import extract as run_extract

        if text == "-":
            text = sys.stdin.read()
        with open_kb(kb_path) as kb:
            extractions = run_extract(text, kb=kb, extractors=_names(extractors))
        click.echo(json.dumps([e.to_dict() for e in extractions], indent=2, ensure_ascii=False))


def _print_build(report: Any) -> None:
    rate = f" ({report.documents / report.seconds:.1f} documents/s)" if report.seconds else ""
    click.echo(f"documents   {report.documents} read, {report.documents_new} new{rate}")
    click.echo(f"mentions    {report.mentions}")
    click.echo(f"relations   {report.relations} found: {report.negated} negated, "
               f"{report.speculative} speculative, {report.below_confidence} below the confidence "
               "threshold (none of these asserted)")
    click.echo(f"facts       {report.facts_new} new, {report.facts_known} already known, "
               f"{report.evidence_added} new pieces of evidence")
    if report.skipped:
        click.echo(f"skipped     {len(report.skipped)}")
        for source, reason in report.skipped:
            click.echo(f"  {source}: {reason}")
