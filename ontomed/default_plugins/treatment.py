"""Built-in command ``ontomed treat``: treatments for a disease, checked against one patient."""

from __future__ import annotations

import json
import textwrap

import click

from ..hookspecs import hookimpl

#: Sources shown per reason on the terminal (--json has them all).
SHOWN_SOURCES = 2


@hookimpl
def register_commands(cli: click.Group) -> None:
    from ..cli import kb_option

    @cli.command(name="treat", short_help="Check the drugs for a disease against one patient.")
    @kb_option
    @click.option("--disease", required=True, metavar="NAME",
                  help="The disease to treat: a label, synonym, identifier (MESH:D003924, "
                  "OMIM:125853) or IRI.")
    @click.option("--condition", "conditions", multiple=True, metavar="NAME",
                  help="A condition the patient has (repeatable): checked against contraindications "
                  "and side effects.")
    @click.option("--taking", multiple=True, metavar="DRUG",
                  help="A drug the patient takes (repeatable): checked for interactions.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    def treat_command(kb_path: str, disease: str, conditions: tuple[str, ...], taking: tuple[str, ...],
                      as_json: bool) -> None:
        """Drugs that treat a disease, each suggested or excluded for one patient, with why.

        Candidates are the drugs the graph says treat the disease or a broader
        term of it. Each is EXCLUDED when it is contraindicated for one of the
        patient's conditions, interacts with a drug they take at a severity of
        'contraindicated' or 'not recommended', or can cause a condition they
        have; CAUTION for milder interactions and near matches; else suggested.
        Every reason cites its evidence. Nothing about the patient is stored
        or logged.

        \b
        Examples:
          ontomed treat --disease "atrial fibrillation" --taking aspirin
          ontomed treat --disease hypertension --condition angioedema --json
        """
        from ..apps.treatment import treat
        from ..cli import open_kb

        with open_kb(kb_path) as kb:
            report = treat(kb, disease, conditions=conditions, taking=taking)
        if as_json:
            click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
            return
        _print_report(report)


def _print_report(report) -> None:  # noqa: ANN001 - a TreatmentReport
    from .. import iri as I
    from ..output import print_table

    context = []
    if report.conditions:
        context.append("has " + ", ".join(c.label for c in report.conditions))
    if report.taking:
        context.append("takes " + ", ".join(t.label for t in report.taking))
    click.echo(f"treatments for {report.disease.label} ({I.shorten(report.disease.iri)})"
               + (f"; the patient {'; '.join(context)}" if context else ""))
    if not report.candidates:
        click.echo("no drug in the knowledge base treats it or a broader term of it")
        return
    counts = report.counts()
    click.echo(f"{len(report.candidates)} candidates: {counts['suggested']} suggested, "
               f"{counts['caution']} with caution, {counts['excluded']} excluded")
    rows = []
    for n, c in enumerate(report.candidates, 1):
        treats = c.treats_label if not c.via else f"{c.treats_label} (broader term)"
        rows.append([str(n), c.label, c.status.upper() if c.status != "suggested" else c.status,
                     treats, str(len(c.indication)), str(len(c.reasons))])
    print_table(["#", "drug", "status", "treats", "sources", "reasons"], rows)
    for n, c in enumerate(report.candidates, 1):
        click.echo(f"\n{n}. {c.label} ({I.shorten(c.drug)}): {c.status}"
                   + ("; the patient already takes it" if c.already_taking else ""))
        via = f" through {' → '.join(report.labels.get(v, v) for v in c.via)}" if c.via else ""
        click.echo(f"   treats {c.treats_label}{via}")
        for source in c.indication[:1]:
            click.echo(_wrap("source: " + source.cite()))
        for r in c.reasons:
            click.echo(f"   - {r.effect.upper()}: {r.message}")
            for source in r.sources[:SHOWN_SOURCES]:
                click.echo(_wrap("source: " + source.cite(), indent=7))
            if len(r.sources) > SHOWN_SOURCES:
                click.echo(f"       (+{len(r.sources) - SHOWN_SOURCES} more sources: --json)")


def _wrap(text: str, indent: int = 5) -> str:
    short = textwrap.shorten(" ".join(text.split()), width=200, placeholder=" …")
    return textwrap.fill(short, width=100, initial_indent=" " * indent, subsequent_indent=" " * (indent + 2))
