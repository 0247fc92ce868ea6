"""Built-in readers, the dictionary extractor and linker, and ``ontomed build`` / ``extract``."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from ..hookspecs import Register, hookimpl


@hookimpl
def register_readers(register: Register) -> None:
    from ..ingest.readers import BUILTIN_READERS

    for reader in BUILTIN_READERS:
        register(reader())


@hookimpl
def register_extractors(register: Register) -> None:
    from ..ingest.extractors.dictionary import DictionaryExtractor

    register(DictionaryExtractor())


@hookimpl
def register_linkers(register: Register) -> None:
    from ..ingest.linking import VocabularyLinker

    register(VocabularyLinker())


def _names(value: str | None) -> list[str] | None:
    return [n.strip() for n in value.split(",") if n.strip()] if value else None


@hookimpl
def register_commands(cli: click.Group) -> None:
    from ..cli import kb_option, open_kb

    @cli.command(short_help="Extract facts with their evidence from documents.")
    @kb_option
    @click.argument("sources", nargs=-1, required=True)
    @click.option("--extractors", metavar="A,B", help="Extractors to run (default: dictionary). "
                  "See `ontomed plugins`.")
    @click.option("--min-confidence", type=float, default=0.5, show_default=True,
                  help="Relations below this confidence are not asserted.")
    @click.option("--stdin-format", type=click.Choice(["text", "jsonl", "clinicaltrials"]), default="text",
                  show_default=True, help="What '-' (standard input) holds.")
    @click.option("--clinical", is_flag=True, help="The sources are clinical notes: remove names, dates, "
                  "numbers and the other direct identifiers before anything is stored (a JSON Lines "
                  'record can say so itself with "clinical": true).')
    @click.option("--redactors", metavar="A,B", help="Redactors for clinical notes (default: every one "
                  "loaded). See `ontomed plugins`.")
    @click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
    def build(kb_path: str, sources: tuple[str, ...], extractors: str | None, min_confidence: float,
              stdin_format: str, clinical: bool, redactors: str | None, as_json: bool) -> None:
        """Read sources, extract facts and add them with their evidence.

        SOURCES are files (.txt, .jsonl, PubMed .xml, ClinicalTrials.gov .json),
        directories of them, or '-' for standard input. Running it again on the
        same input adds nothing. A record or file that cannot be read is skipped
        and listed; the rest is still built.

        Exit code: 0 when every source was read, 1 when some could not be,
        2 when no document could be read at all.

        \b
        Example:
          ontomed build corpus/
          ontomed build pubmed.xml trials.json --extractors dictionary
          ontomed build --clinical notes/
        """
        from ..ingest.pipeline import build as run_build

        with open_kb(kb_path) as kb:
            report = run_build(kb, list(sources), extractors=_names(extractors),
                               min_confidence=min_confidence, progress=None, stdin_format=stdin_format,
                               clinical=clinical, redactors=_names(redactors))
        if as_json:
            click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        else:
            _print_build(report)
        if report.exit_code == 2:
            what = f"{len(report.skipped)} skipped, listed above" if report.skipped else "none found"
            click.echo(f"error: no document could be read from {' '.join(sources)} ({what})", err=True)
        elif report.exit_code == 1:
            click.echo(f"warning: {len(report.skipped)} skipped (listed above); the rest was built",
                       err=True)
        if report.exit_code:
            sys.exit(report.exit_code)

    @cli.command(short_help="Show the mentions and relations in a text, as JSON.")
    @kb_option
    @click.argument("text")
    @click.option("--extractors", metavar="A,B", help="Extractors to run (default: dictionary).")
    @click.option("--clinical", is_flag=True, help="TEXT is a clinical note: names, dates, numbers and "
                  "places are replaced by placeholders before any extractor sees it, as ontomed build "
                  "--clinical does; the JSON then carries the redacted text its offsets refer to.")
    @click.option("--redactors", metavar="A,B", help="Redactors for --clinical (default: every one "
                  "registered; ontomed plugins lists them).")
    def extract(kb_path: str, text: str, extractors: str | None, clinical: bool,
                redactors: str | None) -> None:
        """Print the mentions and relations in TEXT as JSON ('-' reads standard input).

        Nothing is written. The knowledge base supplies the vocabulary of the
        dictionary extractor (the default) and links mentions to entities; an
        extractor that needs no vocabulary runs without one when there is none.

        \b
        Example:
          ontomed extract "Metformin is indicated for type 2 diabetes."
          echo "Aspirin inhibits PTGS1." | ontomed extract -
          ontomed extract --extractors dosage --kb :memory: "Aspirin 81 mg daily."
          ontomed extract --clinical - < note.txt
        """
        from ..errors import BadInputError, NotFoundError
        from ..ingest.pipeline import extract as run_extract, select_extractors

        chosen = select_extractors(_names(extractors))
        if redactors and not clinical:
            raise BadInputError("--redactors chooses how --clinical removes identifiers: give both")
        if text == "-":
            text = sys.stdin.read()
        redacted = None
        if clinical:
            from ..ingest.redaction import redact, select_redactors

            redacted = redact(text, select_redactors(_names(redactors)))
            text = redacted.text
            click.echo("redacted: " + (", ".join(f"{n} {kind}" for kind, n in sorted(redacted.counts().items()))
                                       or "nothing found"), err=True)
        needing = [e.id for e in chosen if e.needs_knowledge_base]
        try:
            kb = open_kb(kb_path)
        except NotFoundError as exc:
            if needing:
                raise NotFoundError(f"{exc}; the {' and '.join(needing)} extractor reads its "
                                    "vocabulary from it") from None
            kb = None  # nothing here needs a vocabulary: mentions are found, not linked
        try:
            if needing and kb is not None and not _has_vocabulary(kb):
                click.echo(f"warning: the knowledge base {kb_path} holds no vocabulary (no drug, "
                           f"disease, symptom or gene), so the {' and '.join(needing)} extractor "
                           "finds nothing; import one with: ontomed vocab import --kb PATH", err=True)
            extractions = run_extract(text, kb=kb, extractors=[e.id for e in chosen])
        finally:
            if kb is not None:
                kb.close()
        out = [e.to_dict() for e in extractions]
        if redacted is not None:  # the offsets refer to the redacted text: it goes with them
            out = [{**e, "text": redacted.text} for e in out]
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))


def _has_vocabulary(kb: Any) -> bool:
    return kb.ask("ASK { VALUES ?t { om:Drug om:Disease om:Symptom om:Gene } ?e a ?t }")


def _print_build(report: Any) -> None:
    rate = f" ({report.documents / report.seconds:.1f} documents/s)" if report.seconds else ""
    click.echo(f"documents   {report.documents} read, {report.documents_new} new{rate}")
    click.echo(f"mentions    {report.mentions}" + (
        f" ({report.linked_by_preference} of names shared by several entities, linked by preference)"
        if report.linked_by_preference else ""))
    not_asserted = [f"{report.negated} negated", f"{report.speculative} speculative",
                    f"{report.below_confidence} below the confidence threshold"]
    if report.unlinked:
        not_asserted.append(f"{report.unlinked} between mentions not linked to an entity")
    click.echo(f"relations   {report.relations} found: {report.asserted} asserted as facts; "
               f"not asserted: {', '.join(not_asserted)}")
    click.echo(f"facts       {report.facts_new} new, {report.facts_known} already known, "
               f"{report.evidence_added} new pieces of evidence")
    if report.redacted:
        removed = ", ".join(f"{n} {kind}" for kind, n in sorted(report.identifiers_removed.items()))
        click.echo(f"redacted    {report.redacted} clinical notes; removed {removed or 'nothing'}")
    if report.skipped:
        click.echo(f"skipped     {len(report.skipped)}")
        for source, reason in report.skipped:
            click.echo(f"  {source}: {reason}")
