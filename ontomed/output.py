"""How the CLI shows results to a person (tables) or a program (Oxigraph's serializers)."""

from __future__ import annotations

import sys
from typing import Any

import click
import pyoxigraph as ox

from . import iri as I
from .errors import BadInputError
from .kb.formats import rdf_format, result_format
from .kb.query_text import reorder_tsv


def term_text(term: Any) -> str:
    """A compact, readable rendering of an RDF term for tables."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        short = I.shorten(term.value)
        return short if not short.startswith("<") else term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"{term.value}@{term.language}"
        return term.value
    return str(term)


def print_query_result(result: Any, fmt: str | None, columns: list[str] | None = None) -> None:
    """Print a query's answer; ``columns`` orders a ``SELECT *`` result's columns
    (:func:`ontomed.kb.query_text.star_columns`)."""
    out = sys.stdout.buffer
    if isinstance(result, ox.QueryBoolean):
        if fmt in (None, "table"):
            click.echo("true" if bool(result) else "false")
        else:
            result.serialize(out, result_format(fmt))
            out.flush()
        return
    if isinstance(result, ox.QueryTriples):
        try:
            rdf = rdf_format(fmt or "ttl")
        except BadInputError:
            raise BadInputError(f"a CONSTRUCT/DESCRIBE result cannot be written as {fmt!r} "
                                "(use ttl, nt, xml or jsonld)") from None
        result.serialize(out, rdf)
        out.flush()
        return
    if fmt not in (None, "table"):
        target = result_format(fmt)
        if columns is None:
            result.serialize(out, target)
        else:  # SELECT *: Oxigraph's columns are alphabetical; put them in the query's order
            tsv = reorder_tsv(result.serialize(format=ox.QueryResultsFormat.TSV) or b"", columns)
            if target == ox.QueryResultsFormat.TSV:
                out.write(tsv)
            else:
                ox.parse_query_results(tsv, ox.QueryResultsFormat.TSV).serialize(out, target)
        out.flush()
        return
    variables = columns or [v.value for v in result.variables]
    rows = [[term_text(sol[v]) for v in variables] for sol in result]
    print_table(variables, rows)
    click.echo(f"{len(rows)} row{'s' if len(rows) != 1 else ''}", err=True)


def print_table(header: list[str], rows: list[list[str]], max_width: int = 80) -> None:
    widths = [len(h) for h in header]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = min(max(widths[i], len(cell)), max_width)

    def fmt_row(cells: list[str]) -> str:
        parts = []
        for cell, w in zip(cells, widths):
            cell = cell.replace("\n", " ")
            if len(cell) > w:
                cell = cell[: w - 1] + "…"
            parts.append(cell.ljust(w))
        return "  ".join(parts).rstrip()

    click.echo(fmt_row(header))
    click.echo("  ".join("-" * w for w in widths))
    for row in rows:
        click.echo(fmt_row(row))


def print_stats(data: dict[str, Any]) -> None:
    click.echo(f"knowledge base   {data['knowledge_base']}")
    click.echo(f"ontology loaded  {'yes' if data['initialized'] else 'no (run ontomed init)'}")
    click.echo(f"triples          {data['triples']:,} in the default graph, {data['quads']:,} quads in all")
    click.echo(f"named graphs     {len(data['named_graphs'])}")
    for g, n in data["named_graphs"].items():
        click.echo(f"  {g}  {n:,}")
    click.echo(f"documents        {data['documents']:,}")
    click.echo(f"evidence         {data['evidence_annotations']:,} axiom annotations")
    click.echo(f"files loaded     {data['files_loaded']}")
    click.echo("entities by class")
    if not data["entities"]:
        click.echo("  (none)")
    for cls, n in data["entities"].items():
        click.echo(f"  {cls:<28}{n:>10,}")
    click.echo("facts by property")
    for prop, n in data["facts"].items():
        click.echo(f"  {prop:<28}{n:>10,}")


def print_check(report: Any) -> None:
    verdict = "consistent" if report.consistent else "INCONSISTENT"
    click.echo(f"{verdict}: {report.reasoner}, {report.individuals} individuals, "
               f"{report.seconds:.1f} s")
    for cls in report.unsatisfiable_classes:
        click.echo(f"unsatisfiable class: {I.shorten(cls)}")
    for i, problem in enumerate(report.problems, 1):
        click.echo(f"{i}. {problem.message}")
        for axiom in problem.axioms:
            click.echo(f"     {axiom}")
