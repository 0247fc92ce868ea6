"""Built-in command ``ontomed adjacency``: the graph as a sparse matrix on disk."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..hookspecs import hookimpl


@hookimpl
def register_commands(cli: click.Group) -> None:
    from ..cli import kb_option

    @cli.command(name="adjacency", short_help="Save the graph as a sparse matrix with an entity index.")
    @kb_option
    @click.option("--property", "properties", multiple=True, metavar="P",
                  help="Only this property's facts (treats, om:hasSymptom, skos:broader, an IRI); "
                  "repeat for several. Default: every object property of the ontology.")
    @click.option("--class", "classes", multiple=True, metavar="CLASS",
                  help="Only entities of this class (Drug, Disease, Symptom, Gene, Condition); "
                  "repeat for several. Default: all four.")
    @click.option("-o", "--output", required=True, metavar="FILE.npz",
                  type=click.Path(dir_okay=False, path_type=Path),
                  help="Write the matrix here (scipy.sparse.load_npz reads it), the entity index "
                  "beside it as FILE.entities.tsv and the edges with their property as FILE.edges.npz.")
    @click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
    def adjacency_command(kb_path: str, properties: tuple[str, ...], classes: tuple[str, ...],
                          output: Path, as_json: bool) -> None:
        """Save the graph as a sparse adjacency matrix with a stable entity index.

        Row and column i are the entity on line i of FILE.entities.tsv (every
        entity of the chosen classes, in IRI order, the same on every run for
        the same store state); A[i, j] counts the chosen properties that link
        i to j, symmetric ones both ways. FILE.edges.npz keeps each edge's
        property, for multi-relational tools.

        \b
        Examples:
          ontomed adjacency -o kb.npz
          ontomed adjacency --property treats --property hasSymptom --class Drug --class Condition -o dx.npz
          python -c "import scipy.sparse; print(scipy.sparse.load_npz('kb.npz').shape)"
        """
        from ..apps.adjacency import output_paths
        from ..cli import open_kb

        output_paths(output)  # a bad target is refused before the work
        with open_kb(kb_path) as kb:
            adj = kb.adjacency(properties or None, classes or None)
        written = adj.save(output)
        summary = {"entities": len(adj.index), "edges": int(len(adj.edges["row"])),
                   "nonzeros": int(adj.matrix.nnz), "classes": list(adj.classes),
                   "edges_by_property": adj.edges_by_property(),
                   "seconds": round(adj.seconds, 3), "files": [str(p) for p in written]}
        if as_json:
            click.echo(json.dumps(summary, indent=2))
            return
        click.echo(f"{summary['entities']:,} entities ({', '.join(adj.classes)}), "
                   f"{summary['edges']:,} edges, {summary['nonzeros']:,} non-zeros "
                   f"in {adj.seconds:.1f} s")
        for prop, n in summary["edges_by_property"].items():
            if n:
                click.echo(f"  {n:>9,}  {prop}")
        unused = [p for p, n in summary["edges_by_property"].items() if not n]
        if unused:
            click.echo(f"  no facts: {', '.join(unused)}")
        click.echo("wrote " + ", ".join(str(p) for p in written))
