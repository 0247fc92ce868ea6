"""What the applications share: resolving typed names to entities, and the per-store-state cache."""

from __future__ import annotations

import pickle

import pytest

from ontomed import KnowledgeBase
from ontomed.kb import cache
from ontomed.apps.names import UnknownNamesError, resolve_names
from ontomed.iri import ENTITY

from tests.conftest import make_example_kb


@pytest.fixture(scope="module")
def example_kb():
    return make_example_kb()


def test_labels_synonyms_identifiers_and_iris_resolve_in_one_call(example_kb):
    found = resolve_names(example_kb, ["Polyuria", "HP:0002094", "high blood pressure",
                                       "ome:cough", ENTITY + "fatigue", "OMIM:219700", "DB00331"],
                          role="finding")
    assert [(r.iri.removeprefix(ENTITY), r.how) for r in found] == [
        ("polyuria", "label"), ("dyspnea", "identifier"), ("hypertension", "synonym"),
        ("cough", "iri"), ("fatigue", "iri"), ("cystic_fibrosis", "identifier"),
        ("metformin", "identifier")]
    assert found[1].label == "dyspnea"


def test_every_unknown_name_is_reported_at_once_with_the_closest_names(example_kb):
    with pytest.raises(UnknownNamesError) as err:
        resolve_names(example_kb, ["polyuira", "fatigue", "HP:9999999", "zzqxv"], role="finding")
    problems = {p.name: p for p in err.value.problems}
    assert set(problems) == {"polyuira", "HP:9999999", "zzqxv"}
    assert ENTITY + "polyuria" in [iri for iri, _ in problems["polyuira"].candidates]
    assert "unknown finding 'polyuira'; closest: polyuria (ome:polyuria)" in str(err.value)
    assert problems["zzqxv"].candidates == ()
    assert err.value.exit_code == 2 and err.value.http_status == 400
    data = err.value.to_dict()
    assert [n["name"] for n in data["names"]] == ["polyuira", "HP:9999999", "zzqxv"]


def test_classes_keep_what_the_application_can_use(example_kb):
    assert [r.iri for r in resolve_names(example_kb, ["metformin"], role="drug", classes=["Drug"])] == [
        ENTITY + "metformin"]
    with pytest.raises(UnknownNamesError) as err:
        resolve_names(example_kb, ["cough"], role="drug", classes=["Drug"])
    problem = err.value.problems[0]
    assert problem.reason == "unusable" and "Symptom" in problem.message()


def test_a_preference_chooses_between_entities_of_one_name_and_ties_are_refused():
    kb = make_example_kb()
    kb.add_entity("fever_disease", "Disease", "Fever")
    kb.add_entity("fever_sign", "Symptom", "fever")
    with pytest.raises(UnknownNamesError) as err:
        resolve_names(kb, ["fever"], role="finding")
    assert err.value.problems[0].reason == "ambiguous"
    assert {iri for iri, _ in err.value.problems[0].candidates} == {
        ENTITY + "fever_disease", ENTITY + "fever_sign"}
    chosen = resolve_names(kb, ["fever"], role="finding",
                           preference=lambda iri: 1.0 if iri.endswith("sign") else 0.0)[0]
    assert chosen.iri == ENTITY + "fever_sign" and chosen.alternatives == (ENTITY + "fever_disease",)
    only = resolve_names(kb, ["fever"], role="finding",
                         preference=lambda iri: None if iri.endswith("disease") else 0.0)[0]
    assert only.iri == ENTITY + "fever_sign" and only.alternatives == ()


def test_a_state_cached_model_is_built_once_per_store_state(tmp_path):
    kb = make_example_kb(tmp_path / "kb")
    builds = []

    def count_drugs(k: KnowledgeBase) -> str:
        return str(len(list(k.query("SELECT ?d WHERE { ?d a om:Drug }"))))

    def build(k: KnowledgeBase) -> list[str]:
        builds.append(1)
        return sorted(r["d"].value for r in k.query("SELECT ?d WHERE { ?d a om:Drug }"))

    first = cache.state_cached(kb, "drugs-v1", content_key=count_drugs, build=build)
    assert len(first) == 10 and len(builds) == 1
    assert cache.state_cached(kb, "drugs-v1", content_key=count_drugs, build=build) == first
    kb.add_entity("cough_b", "Symptom", "cough b")  # another part of the store: content key unchanged
    assert cache.state_cached(kb, "drugs-v1", content_key=count_drugs, build=build) == first
    assert len(builds) == 1
    kb.add_entity("exemplarol", "Drug", "exemplarol")
    assert len(cache.state_cached(kb, "drugs-v1", content_key=count_drugs, build=build)) == 11
    assert len(builds) == 2
    kb.close()
    # A new process: nothing in memory; the pickle beside the knowledge base is used.
    cache.forget()
    kb = KnowledgeBase(tmp_path / "kb")
    assert len(cache.state_cached(kb, "drugs-v1", content_key=count_drugs, build=build)) == 11
    assert len(builds) == 2
    # Reopening rewrites RocksDB's files, so the content key vouched for the model; the
    # pickle now carries the new fingerprint, and a start on unchanged files asks the
    # store nothing (RocksDB may still compact in the background: then it asks again).
    stored = pickle.loads((tmp_path / "kb" / "cache" / "drugs-v1.pickle").read_bytes())
    assert stored["content_key"] == "11"
    keys = []
    cache.forget()
    before = kb.files_fingerprint()
    cache.state_cached(kb, "drugs-v1", content_key=lambda k: keys.append(1) or count_drugs(k),
                       build=build)
    assert len(builds) == 2
    assert keys == ([] if before == stored["files_key"] == kb.files_fingerprint() else keys)
    assert cache.state_cached(kb, "drugs-v1", content_key=count_drugs, build=build, refresh=True)
    assert len(builds) == 3
    kb.close()


def test_a_corrupt_cache_file_is_rebuilt(tmp_path):
    kb = make_example_kb(tmp_path / "kb")
    path = cache.cache_path(kb, "n-v1")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a pickle")
    assert cache.state_cached(kb, "n-v1", content_key=lambda k: "1", build=lambda k: 42) == 42
    cache.forget(kb)
    assert pickle.loads(path.read_bytes())["value"] == 42
    kb.close()
