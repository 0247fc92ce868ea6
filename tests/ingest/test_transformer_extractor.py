"""The Transformer extractor, end to end, with a tiny NER model trained inside the test.

The model (``tests/tiny_ner.py``) is saved with ``save_pretrained`` and read
back by the extractor's own loading code, as any Hugging Face model directory
would be; nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.needs import need_module

from ontomed import plugins
from ontomed.errors import BadInputError, NotFoundError
from ontomed.ingest.extractors.transformer import TransformerExtractor, parse_label
from ontomed.iri import ENTITY, OM
from ontomed.testing import DEFAULT_SAMPLES, check_extractor

from tests import tiny_ner
from tests.conftest import make_example_kb

need_module("torch", "the ml extra (torch) is not installed")
need_module("transformers", "the ml extra (transformers) is not installed")


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_ner.model_dir(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def extractor(model_path: Path) -> TransformerExtractor:
    return TransformerExtractor(model=model_path, threads=1)


def spans(extraction) -> list[tuple[int, int, str]]:
    return [(m.start, m.end, m.type) for m in extraction.mentions]


def joined(sentences: list[tuple[str, list[tuple[int, int, str]]]]) -> tuple[str, list[tuple[int, int, str]]]:
    text, gold = "", []
    for sentence, sentence_spans in sentences:
        if text:
            text += " "
        gold += [(s + len(text), e + len(text), c) for s, e, c in sentence_spans]
        text += sentence
    return text, gold


# -- what it finds ----------------------------------------------------------------

def test_it_tags_the_sentences_it_learned_with_exact_character_spans(extractor):
    data = tiny_ner.sentences()
    results = extractor.extract_batch([text for text, _ in data])
    assert [spans(r) for r in results] == [gold for _, gold in data]
    first = results[0]
    assert [(m.text, m.type) for m in first.mentions] == [("Metformin", "Drug"), ("type 2 diabetes", "Disease")]
    assert all(0.5 < m.confidence <= 1.0 and m.iri is None for r in results for m in r.mentions)


def test_a_name_split_into_sub_words_is_one_mention(extractor, model_path):
    from transformers import AutoTokenizer

    assert len(AutoTokenizer.from_pretrained(model_path).tokenize("atorvastatin")) > 2
    result = extractor.extract("Atorvastatin is used for gout in adults.")
    assert [(m.text, m.type) for m in result.mentions] == [("Atorvastatin", "Drug"), ("gout", "Disease")]


def test_a_text_longer_than_the_model_window_is_read_in_overlapping_windows(extractor, model_path):
    text, gold = joined(tiny_ner.sentences()[:25])
    assert len(extractor._load().tokenizer(text)["input_ids"]) > 4 * tiny_ner.MAX_POSITIONS
    assert spans(extractor.extract(text)) == gold


def test_offsets_count_characters_after_non_ascii_text(extractor):
    text = "Naïve patients with gout 🙂 received metformin — no harm."
    # UTF-8 bytes and UTF-16 units both outnumber characters here: neither may leak into offsets
    assert len(text.encode()) > len(text) and len(text.encode("utf-16-le")) // 2 > len(text)
    mentions = extractor.extract(text).mentions
    assert [(m.text, m.type, m.start) for m in mentions] == [("gout", "Disease", 20), ("metformin", "Drug", 36)]
    assert all(text[m.start:m.end] == m.text for m in mentions)


def test_batches_give_what_single_texts_give(model_path, extractor):
    data = [text for text, _ in tiny_ner.sentences()[:12]] + ["", "   "]
    small = TransformerExtractor(model=model_path, batch_size=2)
    assert [spans(e) for e in small.extract_batch(data)] == [spans(extractor.extract(t)) for t in data]


def test_averaged_sub_word_probabilities_find_the_same_names(model_path):
    averaged = TransformerExtractor(model=model_path, aggregation="average")
    data = tiny_ner.sentences()[:10]
    assert [spans(e) for e in averaged.extract_batch([t for t, _ in data])] == [g for _, g in data]


def test_it_keeps_the_extractor_contract(extractor):
    check_extractor(extractor, [*DEFAULT_SAMPLES, *(t for t, _ in tiny_ner.sentences()[:6])])


# -- configuration ------------------------------------------------------------------

def test_the_registered_extractor_reads_its_model_from_the_environment(model_path, monkeypatch):
    monkeypatch.setenv("ONTOMED_NER_MODEL", str(model_path))
    monkeypatch.setenv("ONTOMED_NER_BATCH_SIZE", "4")
    x = plugins.get_extractor("transformer")
    assert isinstance(x, TransformerExtractor) and not x.loaded
    assert x.settings.model == str(model_path) and x.settings.batch_size == 4
    assert [(m.text, m.type) for m in x.extract("Warfarin treats migraine.").mentions] == \
        [("Warfarin", "Drug"), ("migraine", "Disease")]


def test_the_pipeline_links_its_mentions_and_reads_relations_between_them(model_path, monkeypatch):
    from ontomed.ingest.pipeline import extract

    monkeypatch.setenv("ONTOMED_NER_MODEL", str(model_path))
    kb = make_example_kb()
    [e] = extract("Imatinib treats chronic myeloid leukemia.", kb=kb, extractors=["transformer"])
    assert e.extractor == "transformer"
    assert [m.iri for m in e.mentions] == [ENTITY + "imatinib", ENTITY + "chronic_myelogenous_leukemia"]
    assert [(r.subject.text, r.predicate, r.object.text) for r in e.relations] == \
        [("Imatinib", OM + "treats", "chronic myeloid leukemia")]


def test_device_is_chosen_automatically_and_threads_are_set(extractor):
    import torch

    mps = torch.backends.mps.is_available()
    assert extractor.device == ("cuda" if torch.cuda.is_available() else "mps" if mps else "cpu")
    assert torch.get_num_threads() == 1


def test_it_runs_on_the_gpu_when_there_is_one(model_path):
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU on this machine")
    gpu = TransformerExtractor(model=model_path, device="cuda")
    assert gpu.device.startswith("cuda")
    data = tiny_ner.sentences()
    assert [spans(e) for e in gpu.extract_batch([t for t, _ in data])] == [g for _, g in data]


def test_asking_for_a_gpu_that_is_not_there_is_bad_input(model_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    with pytest.raises(BadInputError, match="torch sees no CUDA GPU"):
        TransformerExtractor(model=model_path, device="cuda").extract("Metformin treats gout.")


# -- errors: one line, and no model load where none is needed -------------------------

def test_blank_text_needs_no_model(monkeypatch):
    monkeypatch.delenv("ONTOMED_NER_MODEL", raising=False)
    x = TransformerExtractor()
    assert x.extract("").mentions == () and x.extract_batch(["", " \n"]) == [x.extract("")] * 2
    assert not x.loaded


def test_no_model_configured_is_a_one_line_error(monkeypatch):
    monkeypatch.delenv("ONTOMED_NER_MODEL", raising=False)
    with pytest.raises(BadInputError, match="set ONTOMED_NER_MODEL") as info:
        TransformerExtractor().extract("Metformin treats gout.")
    assert "\n" not in str(info.value)


def test_a_missing_model_directory_is_not_found(tmp_path):
    with pytest.raises(NotFoundError, match="no such NER model directory"):
        TransformerExtractor(model=tmp_path / "nope").extract("Metformin treats gout.")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInputError, match="not a Hugging Face model directory"):
        TransformerExtractor(model=tmp_path / "empty").extract("Metformin treats gout.")


def test_a_model_without_entity_labels_is_refused(model_path, tmp_path):
    copy = Path(shutil.copytree(model_path, tmp_path / "unlabelled"))
    config = json.loads((copy / "config.json").read_text())
    config["id2label"] = {str(i): f"LABEL_{i}" for i in range(len(config["id2label"]))}
    config["label2id"] = {v: int(k) for k, v in config["id2label"].items()}
    (copy / "config.json").write_text(json.dumps(config))
    with pytest.raises(BadInputError, match="no entity labels.*LABEL_0, LABEL_1"):
        TransformerExtractor(model=copy).extract("Metformin treats gout.")


@pytest.mark.parametrize(("kwargs", "env", "message"), [
    ({"aggregation": "max"}, {}, "aggregation must be 'first' or 'average'"),
    ({"label_types": {"MED": "Dosage"}}, {}, "label_types may map to"),
    ({}, {"ONTOMED_NER_BATCH_SIZE": "lots"}, "ONTOMED_NER_BATCH_SIZE must be a positive whole number"),
    ({"threads": 0}, {}, "threads must be a positive whole number"),
    ({"device": "gpu-please"}, {}, "device must be auto, cpu, cuda"),
])
def test_bad_settings_are_one_line_errors(model_path, monkeypatch, kwargs, env, message):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(BadInputError, match=message):
        TransformerExtractor(model=model_path, **kwargs).extract("Metformin treats gout.")


def test_registering_it_imports_neither_torch_nor_transformers():
    code = ("import sys; from ontomed import plugins; assert 'transformer' in plugins.get_extractors(); "
            "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "ONTOMED_NER_MODEL": "/nonexistent"})
    assert out.stdout.strip() == "[]"


# -- labels ---------------------------------------------------------------------------

@pytest.mark.parametrize(("label", "parsed"), [
    ("O", ("O", None)),
    ("B-Drug", ("B", "Drug")),
    ("I-Disease", ("I", "Disease")),
    ("B-DRUG", ("B", "Drug")),
    ("i-disease", ("I", "Disease")),
    ("B-CHEMICAL", ("B", "Drug")),
    ("I-Chemical", ("I", "Drug")),
    ("B-Disease_disorder", ("B", "Disease")),
    ("B-Sign_symptom", ("B", "Symptom")),
    ("I-Medication", ("I", "Drug")),
    ("B-GENE_OR_GENE_PRODUCT", ("B", "Gene")),
    ("B_Gene", ("B", "Gene")),
    ("E-Gene", ("E", "Gene")),
    ("L-Gene", ("E", "Gene")),
    ("S-Drug", ("S", "Drug")),
    ("U-Disease", ("S", "Disease")),
    ("DISEASE", ("I", "Disease")),
    ("SYMPTOM", ("I", "Symptom")),
    ("B-Age", ("O", None)),
    ("B-Dosage", ("O", None)),
    ("LABEL_3", ("O", None)),
])
def test_labels_are_read_in_bio_bioes_and_io_forms_in_any_case(label, parsed):
    assert parse_label(label) == parsed
