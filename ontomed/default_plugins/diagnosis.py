"""Built-in command ``ontomed diagnose``: findings in, ranked and explained diseases out.

Nothing heavy is imported here: numpy and the model load when the command runs,
so ``ontomed --help`` stays fast.
"""

from __future__ import annotations

import json
from typing import Any

import click

from ..hookspecs import hookimpl


@hookimpl
def register_commands(cli: click.Group) -> None:
    from ..cli import kb_option

    @cli.command(name="diagnose")
    @kb_option
    @click.option("--symptom", "-s", "symptoms", multiple=True, metavar="TERM",
                  help="A finding the patient has: a label, a synonym, an id (HP:0001945) or an "
                  "IRI (repeat for each).")
    @click.option("--exclude", "-x", "excluded", multiple=True, metavar="TERM",
                  help="A finding the patient does not have (repeatable); it counts against the "
                  "diseases that usually have it.")
    @click.option("--top", default=10, show_default=True, type=int, metavar="N",
                  help="Show the N best-ranked diseases.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON (the library's Diagnosis.to_dict()).")
    @click.option("--refresh", is_flag=True,
                  help="Rebuild the cached diagnosis model first (it is rebuilt by itself when the "
                  "phenotype annotations change).")
    def diagnose_command(kb_path: str, symptoms: tuple[str, ...], excluded: tuple[str, ...], top: int,
                         as_json: bool, refresh: bool) -> None:
        """Rank diseases for a patient's findings and explain each rank.

        Findings weigh by how rare they are among the diseases' annotations and
        by how often each disease shows them; the phenotype hierarchy counts both
        ways (a specific finding matches a disease's broader phenotype, a broad
        finding its specific ones). Under each disease: the findings it explains
        and how, those it does not, excluded findings that count against it, and
        its frequent phenotypes not given (ask about these next). The findings
        are not stored, logged or cached.

        \b
        Example:
          ontomed diagnose --symptom Arachnodactyly --symptom "Ectopia lentis" \\
              --symptom HP:0002616 --exclude "Intellectual disability" --top 5
          ontomed diagnose -s fever -s cough -s HP:0002094 --json | jq '.candidates[0]'
        """
        from ..apps.diagnosis import diagnose
        from ..cli import open_kb
        from ..errors import BadInputError

        if not symptoms:
            raise BadInputError("give at least one finding the patient has (--symptom TERM)")
        if top < 1:
            raise BadInputError(f"--top must be at least 1, not {top}")
        with open_kb(kb_path) as kb:
            result = diagnose(kb, symptoms, excluded=excluded, top=top, refresh=refresh)
        if as_json:
            click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
            return
        _print(result)


def _print(result: Any) -> None:  # a Diagnosis
    from ..output import print_table

    given = ", ".join(f.label for f in result.findings)
    absent = ", ".join(f.label for f in result.excluded)
    click.echo(f"{result.diseases_considered:,} diseases ranked for: {given}"
               + (f"; excluded: {absent}" if absent else ""))
    rows = [[str(c.rank), f"{c.score:.2f}", c.label, " ".join(c.identifiers[:3]),
             f"{len(c.explained)}/{len(result.findings)}"] for c in result.candidates]
    print_table(["rank", "score", "disease", "identifiers", "explains"], rows)
    for c in result.candidates:
        click.echo("")
        click.echo(f"{c.rank}. {c.label} ({c.score:.2f})")
        for m in c.explained:
            click.echo(f"   {m.contribution:+6.2f}  {m.finding.label}: {m.explanation()}")
        for u in c.unexplained:
            click.echo(f"   {u.contribution:+6.2f}  {u.finding.label}: not explained")
        for a in c.counted_against:
            p = a.phenotype
            click.echo(f"   {a.contribution:+6.2f}  no {a.finding.label}: it has {p.label}{p.stated()}")
        if c.ask_about:
            shown = "; ".join(f"{p.label}{p.stated()}" for p in c.ask_about)
            click.echo(f"           ask about: {shown}")
