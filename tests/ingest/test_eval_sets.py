"""The evaluation sets are data that the figures rest on: a wrong offset or an unknown label would
silently lower (or raise) a score, so every set is checked against the annotation rules' format."""

import json
from pathlib import Path

import pytest

EVAL = Path(__file__).resolve().parents[2] / "data" / "eval"
TYPES = {"Drug", "Disease", "Symptom", "Gene"}
PREDICATES = {"treats", "hasSymptom", "hasSideEffect", "contraindicatedFor", "interactsWith",
              "associatedWith", "targets"}


@pytest.mark.parametrize("name", ["gold.jsonl", "test.jsonl", "test2.jsonl", "test3.jsonl"])
def test_every_span_matches_its_text_and_every_relation_names_entities_of_its_sentence(name):
    ids = set()
    lines = (EVAL / name).read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 50
    for line in lines:
        s = json.loads(line)
        assert s["id"] not in ids
        ids.add(s["id"])
        for e in s["entities"]:
            assert s["text"][e["start"]:e["end"]] == e["text"] and e["type"] in TYPES, (s["id"], e)
        names = {e["text"] for e in s["entities"]}
        for r in s["relations"]:
            assert r["predicate"] in PREDICATES and {r["subject"], r["object"]} <= names, (s["id"], r)
            assert isinstance(r["negated"], bool) and isinstance(r.get("speculative", False), bool)
