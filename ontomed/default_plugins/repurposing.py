"""Built-in commands for drug repurposing: ``ontomed repurpose train`` and ``ontomed repurpose predict``.

Registered through ``register_commands`` like any plugin's verbs. Nothing heavy
is imported here: PyKEEN and torch load inside ``train``; ``predict`` needs
numpy only.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from ..hookspecs import hookimpl

if TYPE_CHECKING:
    from ..apps.repurposing import Prediction, TrainingReport

MODEL_CHOICES = ("ComplEx", "RotatE", "TransE", "DistMult")


@hookimpl
def register_commands(cli: click.Group) -> None:
    from ..cli import kb_option, open_kb

    @cli.group(name="repurpose")
    def repurpose() -> None:
        """Drug repurposing: learn the graph with a link prediction model, then rank the
        links it does not hold yet (the diseases a drug may treat), each with the graph
        paths that support it.

        \b
        Example:
          ontomed repurpose train
          ontomed repurpose predict --drug metformin
        """

    @repurpose.command(name="train")
    @kb_option
    @click.option("--model", default="ComplEx", show_default=True, metavar="MODEL",
                  help="The PyKEEN model: " + ", ".join(MODEL_CHOICES) + " (any case).")
    @click.option("--epochs", type=click.IntRange(1), help="Passes over the facts (default: 20).")
    @click.option("--dim", type=click.IntRange(1), help="Embedding dimension (default: the model's, 64).")
    @click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
    @click.option("--seed", type=int, default=0, show_default=True, help="Seeds the split and the training.")
    @click.option("--holdout", type=click.FloatRange(0, 0.5, max_open=True), default=0.1, show_default=True,
                  help="Share of the facts held out to measure the model (0: train on all, no metrics).")
    @click.option("--broader", is_flag=True, help="Learn skos:broader between entities as one more relation.")
    @click.option("--batch-size", type=click.IntRange(1), help="Triples per step (default: up to 4096).")
    @click.option("--learning-rate", type=click.FloatRange(0, min_open=True), help="Adam's learning rate.")
    @click.option("--negatives", type=click.IntRange(1), help="Corrupted triples per true one.")
    @click.option("--threads", type=click.IntRange(1), help="CPU threads for torch.")
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
    def train_command(kb_path: str, model: str, epochs: int | None, dim: int | None, device: str, seed: int,
                      holdout: float, broader: bool, batch_size: int | None, learning_rate: float | None,
                      negatives: int | None, threads: int | None, as_json: bool) -> None:
        """Train a link prediction model on the knowledge base's facts between entities.

        The model is saved in KB/models/repurposing/ with the store state it saw;
        held-out facts are ranked afterwards (filtered MRR, Hits@1/3/10, per
        relation and overall). Needs PyKEEN: pip install 'ontomed[ml,repurpose]'.

        \b
        Example:
          ontomed repurpose train
          ontomed repurpose train --model RotatE --epochs 50 --dim 128 --json
        """
        from ..apps.repurposing import train
        from ..apps.repurposing.training import model_name

        model = model_name(model)  # an unknown name is bad input before the store is opened
        with open_kb(kb_path) as kb:
            report = train(kb, model=model, epochs=epochs, dim=dim, device=device, seed=seed, holdout=holdout,
                           broader=broader, batch_size=batch_size, learning_rate=learning_rate,
                           negatives=negatives, threads=threads, progress=None)
        if as_json:
            click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        else:
            _print_report(report)

    @repurpose.command(name="predict")
    @kb_option
    @click.option("--drug", metavar="NAME", help="Rank links from this drug (label, synonym, identifier or IRI).")
    @click.option("--disease", metavar="NAME", help="Rank links to this disease.")
    @click.option("--relation", default="treats", show_default=True, metavar="PROPERTY",
                  help="The relation to predict (treats, om:interactsWith, an IRI…).")
    @click.option("--top", type=click.IntRange(1, 1000), default=10, show_default=True,
                  help="How many candidates.")
    @click.option("--paths", type=click.IntRange(0, 10), default=3, show_default=True,
                  help="Supporting graph paths per candidate.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    def predict_command(kb_path: str, drug: str | None, disease: str | None, relation: str, top: int,
                        paths: int, as_json: bool) -> None:
        """Rank the links the graph does not hold yet for a drug or a disease, with the paths
        of the graph that support each (a shared target gene, a similar drug that treats
        it, a similar disease the drug treats).

        \b
        Example:
          ontomed repurpose predict --drug metformin
          ontomed repurpose predict --disease "type 2 diabetes" --top 5 --json
          ontomed repurpose predict --drug warfarin --relation interactsWith
        """
        from ..apps.repurposing import predict
        from ..errors import BadInputError

        if (drug is None) == (disease is None):
            raise BadInputError("give --drug or --disease (one of them)")
        with open_kb(kb_path) as kb:
            result = predict(kb, drug=drug, disease=disease, relation=relation, top=top, paths=paths)
        for warning in result.warnings:
            click.echo(f"warning: {warning}", err=True)
        if as_json:
            click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        else:
            _print_prediction(result)


def _print_report(report: TrainingReport) -> None:
    from .. import iri as I
    from ..output import print_table

    s = report.settings
    click.echo(f"{report.model}: dim {s.dim}, {s.epochs} epochs, {s.loop} with {s.negatives} negatives, "
               f"batch {s.batch_size}, learning rate {s.learning_rate:g}, on {report.device}")
    click.echo(f"{report.entities:,} entities, {report.training_triples:,} training triples, "
               f"{report.test_triples:,} held out; trained in {report.train_seconds:.0f} s "
               f"(read {report.read_seconds:.0f} s, evaluated {report.eval_seconds:.0f} s), "
               f"peak memory {report.peak_memory_mb:,.0f} MiB")
    if report.overall is not None:
        rows = [[I.shorten(rel), f"{m.triples:,}", _fmt(m.mrr), _fmt(m.hits_at_1), _fmt(m.hits_at_3),
                 _fmt(m.hits_at_10)] for rel, m in report.per_relation.items()]
        o = report.overall
        rows.append(["overall", f"{o.triples:,}", _fmt(o.mrr), _fmt(o.hits_at_1), _fmt(o.hits_at_3),
                     _fmt(o.hits_at_10)])
        click.echo("held-out facts, filtered ranks:")
        print_table(["relation", "held out", "MRR", "Hits@1", "Hits@3", "Hits@10"], rows)
    if report.path:
        click.echo(f"saved in {report.path}")


def _fmt(x: float) -> str:
    return "-" if x != x else f"{x:.3f}"


def _print_prediction(result: Prediction) -> None:
    what = (f"{result.entity.label} {result.relation_label} ?" if result.predicts == "object"
            else f"? {result.relation_label} {result.entity.label}")
    click.echo(f"{what}  ({result.model}; {result.considered:,} candidates, "
               f"{result.known} already in the graph left out)")
    if not result.candidates:
        click.echo("no candidates", err=True)
    for c in result.candidates:
        click.echo(f"{c.rank:>3}. {c.entity.label}  score {c.score:.3f}")
        for path in c.paths:
            click.echo(f"       {path.text}")
