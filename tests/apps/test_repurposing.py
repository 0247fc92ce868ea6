"""Drug repurposing: a link prediction model trained on a small graph it can learn, its
predictions, their supporting paths, and the command line.

The graph: two families of six drugs. Each family's drugs target the family's two
genes, treat its four diseases and interact in a ring; the genes are associated
with the family's diseases, which share the family's five symptoms. One link is
held back: drug A5 does not (yet) treat disease A0, and everything about A5 says
it should. Models train for seconds with one torch thread, seeded.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.needs import missing
from click.testing import CliRunner

from ontomed import Evidence, KnowledgeBase
from ontomed.cli import cli

# PyKEEN writes under PYSTOW_HOME as soon as it is imported: the tests import it after
# _pykeen_home points that at a temporary directory, so here it is only looked for
if importlib.util.find_spec("pykeen") is None:
    missing("the repurpose extra is not installed (pip install -e '.[ml,repurpose]')", module=True)
import torch  # noqa: E402 - PyKEEN brings it

from ontomed.apps.repurposing import (  # noqa: E402
    MODELS,
    NoModelError,
    Prediction,
    predict,
    train,
)
from ontomed.apps.repurposing import saved as saved_models  # noqa: E402
from ontomed.apps.repurposing.evaluation import evaluate  # noqa: E402
from ontomed.apps.repurposing.scoring import Embeddings  # noqa: E402
from ontomed.apps.repurposing.triples import read_triples  # noqa: E402
from ontomed.apps.names import UnknownNamesError  # noqa: E402
from ontomed.errors import BadInputError  # noqa: E402
from ontomed.iri import OM, SKOS, entity_iri  # noqa: E402

#: What the tiny graph needs to be learnt in a couple of seconds.
FAST = {"epochs": 50, "dim": 16, "learning_rate": 0.05, "threads": 1, "progress": False}


@pytest.fixture(autouse=True, scope="module")
def _pykeen_home(tmp_path_factory: pytest.TempPathFactory):
    """PyKEEN's file cache in a temporary directory, never the user's home; one torch thread."""
    old = os.environ.get("PYSTOW_HOME")
    os.environ["PYSTOW_HOME"] = str(tmp_path_factory.mktemp("pystow"))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
    if old is None:
        os.environ.pop("PYSTOW_HOME", None)
    else:
        os.environ["PYSTOW_HOME"] = old
    saved_models.forget()


def build_families(kb: KnowledgeBase) -> KnowledgeBase:
    kb.initialize()
    ev = Evidence(document="https://example.org/curated", extractor="curated:test")
    facts = []
    for fam in "AB":
        for i in range(6):
            kb.add_entity(f"drug_{fam}{i}", "Drug", f"drug {fam}{i}")
        for j in range(2):
            kb.add_entity(f"gene_{fam}{j}", "Gene", f"gene {fam}{j}")
        for k in range(4):
            kb.add_entity(f"disease_{fam}{k}", "Disease", f"disease {fam}{k}")
        for m in range(5):
            kb.add_entity(f"symptom_{fam}{m}", "Symptom", f"symptom {fam}{m}")
        for i in range(6):
            for j in range(2):
                facts.append((f"drug_{fam}{i}", "targets", f"gene_{fam}{j}", ev))
            for k in range(4):
                if (fam, i, k) != ("A", 5, 0):
                    facts.append((f"drug_{fam}{i}", "treats", f"disease_{fam}{k}", ev))
            facts.append((f"drug_{fam}{i}", "interactsWith", f"drug_{fam}{(i + 1) % 6}", ev))
        for j in range(2):
            for k in range(4):
                facts.append((f"gene_{fam}{j}", "associatedWith", f"disease_{fam}{k}", ev))
        for k in range(4):
            for m in range(5):
                facts.append((f"disease_{fam}{k}", "hasSymptom", f"symptom_{fam}{m}", ev))
    kb.add_facts(facts)
    return kb


def e(name: str) -> str:
    return entity_iri(name)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory):
    """(path, report): an on-disk knowledge base of the two families with a trained ComplEx."""
    path = tmp_path_factory.mktemp("families") / "kb"
    with build_families(KnowledgeBase(path)) as kb:
        report = train(kb, **FAST)
    return path, report


@pytest.fixture
def kb(trained):
    with KnowledgeBase(trained[0]) as k:
        yield k


# -- the triples -----------------------------------------------------------------------

def test_facts_become_sorted_ids_with_inverses_folded_and_symmetric_facts_both_ways():
    kb = build_families(KnowledgeBase())
    kb.add_fact("disease_B0", "treatedBy", "drug_B5")  # stated with the inverse property
    kb.add_fact("drug_B1", "interactsWith", "drug_B0")  # the reverse of a stored symmetric fact
    graph = read_triples(kb)
    assert list(graph.entities) == sorted(graph.entities)
    assert graph.relations == tuple(sorted(graph.relations)) and OM + "treatedBy" not in graph.relations
    treats = graph.relations.index(OM + "treats")
    ids = {iri: i for i, iri in enumerate(graph.entities)}
    rows = {tuple(t) for t in graph.triples.tolist()}
    assert (ids[e("drug_B5")], treats, ids[e("disease_B0")]) in rows
    interacts = graph.relations.index(OM + "interactsWith")
    assert int((graph.triples[:, 1] == interacts).sum()) == 12  # B0-B1 stated twice is one fact
    directed = graph.directed()
    assert len(directed) == len(graph.triples) + 12
    # statements per relation (the model's content key): a symmetric fact is stored both ways
    assert graph.counts[OM + "treats"] == 48 and graph.counts[OM + "interactsWith"] == 24
    bits = dict(zip(graph.entities, graph.classes.tolist()))
    assert bits[e("drug_A0")] == 1 and bits[e("disease_A0")] == 2 and bits[e("gene_A0")] == 8


# -- scores and ranks agree with PyKEEN's ------------------------------------------------------

@pytest.mark.parametrize("name, kwargs", [(m, {}) for m in MODELS] + [("TransE", {"scoring_fct_norm": 2})])
def test_numpy_scores_equal_pykeens_for_every_model(name: str, kwargs: dict):
    from pykeen.models import model_resolver
    from pykeen.triples import CoreTriplesFactory

    triples = read_triples(build_families(KnowledgeBase())).directed()
    factory = CoreTriplesFactory(torch.as_tensor(triples), num_entities=int(triples[:, [0, 2]].max()) + 1,
                                 num_relations=int(triples[:, 1].max()) + 1)
    model = model_resolver.make(name, triples_factory=factory, embedding_dim=8, random_seed=1, **kwargs).eval()
    with torch.no_grad():
        ent = model.entity_representations[0](indices=None).numpy()
        rel = model.relation_representations[0](indices=None).numpy()
        batch = factory.mapped_triples[:20]
        tails, heads = model.score_t(batch[:, :2]).numpy(), model.score_h(batch[:, 1:]).numpy()
    emb = Embeddings(name, ent, rel, p=float(getattr(model.interaction, "p", 2)),
                     power_norm=bool(getattr(model.interaction, "power_norm", False)))
    b = batch.numpy()
    np.testing.assert_allclose(emb.score_tails(b[:, 0], b[:, 1]), tails, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(emb.score_heads(b[:, 1], b[:, 2]), heads, rtol=1e-4, atol=1e-4)


def test_filtered_metrics_equal_pykeens_evaluator():
    from pykeen.evaluation import RankBasedEvaluator
    from pykeen.models import model_resolver
    from pykeen.triples import CoreTriplesFactory

    triples = read_triples(build_families(KnowledgeBase())).directed()
    n_e, n_r = int(triples[:, [0, 2]].max()) + 1, int(triples[:, 1].max()) + 1
    rng = np.random.default_rng(0)
    test_rows = rng.permutation(len(triples))[:30]
    factory = CoreTriplesFactory(torch.as_tensor(triples), num_entities=n_e, num_relations=n_r)
    model = model_resolver.make("DistMult", triples_factory=factory, embedding_dim=4, random_seed=3).eval()
    test = triples[test_rows]
    theirs = RankBasedEvaluator(filtered=True).evaluate(
        model, torch.as_tensor(test), additional_filter_triples=[torch.as_tensor(triples)],
        use_tqdm=False, batch_size=64)
    with torch.no_grad():
        emb = Embeddings("DistMult", model.entity_representations[0](indices=None).numpy(),
                         model.relation_representations[0](indices=None).numpy())
    ours, per = evaluate(emb, test, triples, [str(i) for i in range(n_r)])
    for metric, value in [("inverse_harmonic_mean_rank", ours.mrr), ("hits_at_1", ours.hits_at_1),
                          ("hits_at_3", ours.hits_at_3), ("hits_at_10", ours.hits_at_10)]:
        assert value == pytest.approx(theirs.get_metric(f"both.realistic.{metric}"), abs=1e-6)
    assert sum(m.triples for m in per.values()) == ours.triples == 30


def test_a_model_trained_with_reciprocal_relations_ranks_heads_as_pykeen_does():
    """1-N training (LCWA) predicts (?, r, t) as (t, r⁻¹, ?): the exported reciprocal relations
    must give PyKEEN's ranks."""
    from pykeen.evaluation import RankBasedEvaluator

    from ontomed.apps.repurposing.training import fit, settings_for

    triples = read_triples(build_families(KnowledgeBase())).directed()
    n_e, n_r = int(triples[:, [0, 2]].max()) + 1, int(triples[:, 1].max()) + 1
    settings = settings_for("ComplEx", loop="LCWA", loss="crossentropy", epochs=3, dim=8, threads=1)
    fitted = fit(triples, n_e, n_r, settings)
    assert fitted.embeddings.inverses is not None
    test = triples[:40]
    theirs = RankBasedEvaluator(filtered=True).evaluate(
        fitted.model, torch.as_tensor(test), additional_filter_triples=[torch.as_tensor(triples)],
        use_tqdm=False, batch_size=64)
    ours, _ = evaluate(fitted.embeddings, test, triples, [str(i) for i in range(n_r)])
    assert ours.mrr == pytest.approx(theirs.get_metric("both.realistic.inverse_harmonic_mean_rank"), abs=1e-6)
    assert ours.hits_at_3 == pytest.approx(theirs.get_metric("both.realistic.hits_at_3"), abs=1e-6)


# -- training ------------------------------------------------------------------------------

def test_train_saves_the_model_with_its_store_state_and_metrics(trained):
    path, report = trained
    folder = path / "models" / "repurposing"
    assert {p.name for p in folder.iterdir()} >= {"model.json", "embeddings.npz", "entities.txt",
                                                  "pykeen-state.pt"}
    config = json.loads((folder / "model.json").read_text())
    assert len(config["store"]["files"]) == 64  # the store's file fingerprint (sha256)
    assert config["store"]["counts"][OM + "treats"] == 47
    assert config["model"] == report.model == "ComplEx"
    assert report.overall is not None and report.test_triples > 0
    assert set(report.per_relation) <= set(config["relations"])
    assert sum(m.triples for m in report.per_relation.values()) == report.overall.triples
    assert report.overall.hits_at_10 >= 0.5  # a learnable graph is learnt
    data = report.to_dict()
    assert set(data["metrics"]["overall"]) == {"triples", "mrr", "hits_at_1", "hits_at_3", "hits_at_10"}
    assert data["settings"]["epochs"] == 50 and data["path"] == str(folder)
    state = torch.load(folder / "pykeen-state.pt", weights_only=True)
    assert any(v.shape[0] == report.entities for v in state.values())


def test_training_is_deterministic_for_a_seed():
    first = train(build_families(KnowledgeBase()), **{**FAST, "epochs": 5})
    second = train(build_families(KnowledgeBase()), **{**FAST, "epochs": 5})
    assert first.final_loss == second.final_loss
    assert first.overall == second.overall


def test_bad_training_settings_exit_2():
    kb = build_families(KnowledgeBase())
    with pytest.raises(BadInputError, match="unknown model 'ConvE'"):
        train(kb, model="ConvE")
    with pytest.raises(BadInputError, match="holdout"):
        train(kb, holdout=0.7)
    with pytest.raises(BadInputError, match="too few facts"):
        train(KnowledgeBase())


# -- prediction ----------------------------------------------------------------------------

def test_a_held_back_link_ranks_first_and_known_links_never_come_back(kb):
    result = predict(kb, drug="drug A5")
    assert result.predicts == "object" and result.relation == OM + "treats"
    assert result.candidates[0].entity.iri == e("disease_A0")
    returned = {c.entity.iri for c in result.candidates}
    assert not returned & {e(f"disease_A{k}") for k in (1, 2, 3)}
    assert result.known == 3 and result.considered == 5  # the 8 diseases, less 3 known
    assert all(c.subject.iri == e("drug_A5") for c in result.candidates)
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True)


def test_a_disease_gets_the_drugs_that_may_treat_it(kb):
    result = predict(kb, disease="disease A0", top=3)
    assert result.predicts == "subject"
    assert result.candidates[0].entity.iri == e("drug_A5")
    assert [c.rank for c in result.candidates] == [1, 2, 3]
    assert not {c.entity.iri for c in result.candidates} & {e(f"drug_A{i}") for i in range(5)}


def test_supporting_paths_name_a_target_gene_a_similar_drug_and_a_similar_disease(kb):
    [best] = predict(kb, drug="drug A5", top=1).candidates
    by_kind = {p.kind: p for p in best.paths}
    assert set(by_kind) == {"target_gene", "similar_drug", "similar_disease"}
    assert by_kind["similar_disease"].text == "drug A5 → treats → disease A1 ← shares 5 symptoms → disease A0"
    assert by_kind["similar_drug"].text == "drug A5 ← shares 2 targets → drug A0 → treats → disease A0"
    assert by_kind["target_gene"].text == "drug A5 → targets → gene A0 → associated with → disease A0"
    step = by_kind["similar_disease"].steps[1].to_dict()
    assert step["property"] == OM + "hasSymptom" and step["shares"]["count"] == 5
    assert [x["label"] for x in step["shares"]["examples"]] == ["symptom A0", "symptom A1", "symptom A2"]
    assert by_kind["similar_drug"].steps[1].to_dict()["shares"] is None
    # a candidate from the other family has nothing in the graph to support it
    assert predict(kb, drug="drug A5", top=5).candidates[-1].paths == ()


def test_prediction_to_dict_is_json_ready(kb):
    result = predict(kb, drug="drug A5", top=2)
    data = json.loads(json.dumps(result.to_dict()))
    assert set(data) == {"entity", "relation", "relation_label", "predicts", "candidates", "considered",
                         "known", "model", "trained_at", "warnings"}
    first = data["candidates"][0]
    assert set(first) == {"rank", "entity", "score", "subject", "object", "paths"}
    assert set(first["paths"][0]) == {"kind", "text", "strength", "steps"}
    assert data["entity"] == {"iri": e("drug_A5"), "label": "drug A5"} and data["warnings"] == []


def test_other_relations_put_the_entity_on_the_side_its_class_belongs_to(kb):
    result = predict(kb, drug="drug A0", relation="interactsWith", top=3)
    assert result.predicts == "object"
    assert result.candidates and all(c.entity.iri.startswith(e("drug_")) for c in result.candidates)
    assert not {c.entity.iri for c in result.candidates} & {e("drug_A1"), e("drug_A5"), e("drug_A0")}
    symptoms = predict(kb, disease="disease A0", relation="om:hasSymptom")
    assert symptoms.predicts == "object" and symptoms.known == 5


def test_reopening_the_store_is_no_change_and_the_check_is_remembered(trained, tmp_path: Path):
    import shutil

    copy = tmp_path / "kb"
    shutil.copytree(trained[0], copy)
    for _ in range(2):  # RocksDB compacts on reopening: new files, same facts
        with KnowledgeBase(copy) as k:
            assert predict(k, drug="drug A5").warnings == ()
    state = json.loads((copy / "models" / "repurposing" / "store-state.json").read_text())
    with KnowledgeBase(copy) as k:
        assert state == {"files": k.files_fingerprint(), "warnings": []}


def test_a_changed_store_gives_a_warning_not_a_failure(trained, tmp_path: Path):
    import shutil

    copy = tmp_path / "kb"
    shutil.copytree(trained[0], copy)
    with KnowledgeBase(copy) as k:
        k.add_entity("drug_A0", "Drug", "drug A0", synonyms=["A-zero"])  # not a fact: no warning
        assert predict(k, drug="drug A5").warnings == ()
        k.add_fact("drug_B0", "treats", "disease_A3")
        result = predict(k, drug="drug A5")
    assert len(result.warnings) == 1
    assert "changed since the model was trained (om:treats 47 → 48)" in result.warnings[0]
    assert result.candidates[0].entity.iri == e("disease_A0")


def test_bad_questions_are_one_clear_error(kb):
    with pytest.raises(BadInputError, match="one of them"):
        predict(kb, drug="drug A5", disease="disease A0")
    with pytest.raises(BadInputError, match="one of them"):
        predict(kb)
    with pytest.raises(UnknownNamesError, match="unknown drug 'drug A55'; closest: drug A5"):
        predict(kb, drug="drug A55")
    with pytest.raises(UnknownNamesError, match="Disease this cannot use"):
        predict(kb, drug="disease A0")
    with pytest.raises(BadInputError, match="'frobs' is not an object property"):
        predict(kb, drug="drug A5", relation="frobs")
    with pytest.raises(BadInputError, match="om:treatedBy is the inverse of om:treats"):
        predict(kb, drug="drug A5", relation="treatedBy")
    with pytest.raises(BadInputError, match="om:hasSymptom does not link a drug"):
        predict(kb, drug="drug A5", relation="hasSymptom")


def test_no_model_is_a_one_line_error():
    with pytest.raises(NoModelError, match="no trained model: run ontomed repurpose train") as err:
        predict(build_families(KnowledgeBase()), drug="drug A5")
    assert err.value.exit_code == 2


def test_an_in_memory_knowledge_base_keeps_its_model_in_the_process():
    kb = build_families(KnowledgeBase())
    report = train(kb, **{**FAST, "holdout": 0})
    assert report.overall is None and report.path is None
    assert isinstance(predict(kb, drug="drug A5"), Prediction)


def test_broader_links_are_one_more_relation_when_asked_for():
    kb = build_families(KnowledgeBase())
    for fam in "AB":
        kb.add_entity(f"disease_{fam}", "Disease", f"disease group {fam}")
        for k in range(4):
            kb.add_entity(f"disease_{fam}{k}", "Disease", f"disease {fam}{k}", broader=[f"disease_{fam}"])
    assert SKOS + "broader" not in read_triples(kb).relations
    train(kb, **{**FAST, "broader": True, "holdout": 0})
    result = predict(kb, disease="disease A0", relation="skos:broader", top=2)
    assert result.relation == SKOS + "broader" and result.predicts == "subject"  # no domain: any class
    assert result.known == 0 and len(result.candidates) == 2


# -- the command line --------------------------------------------------------------------

def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_trains_and_predicts_with_json(tmp_path: Path):
    path = tmp_path / "kb"
    build_families(KnowledgeBase(path)).close()
    trained_out = run("repurpose", "train", "--kb", str(path), "--epochs", "50", "--dim", "16",
                      "--learning-rate", "0.05", "--threads", "1", "--json")
    assert trained_out.exit_code == 0, trained_out.output
    report = json.loads(trained_out.output)
    assert report["model"] == "ComplEx" and report["metrics"]["overall"]["triples"] > 0
    out = run("repurpose", "predict", "--kb", str(path), "--drug", "drug A5", "--top", "2", "--json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["candidates"][0]["entity"]["label"] == "disease A0"
    human = run("repurpose", "predict", "--kb", str(path), "--disease", "disease A0", "--top", "1")
    assert human.exit_code == 0
    assert "  1. drug A5  score" in human.output
    assert "drug A5 → treats → disease A1 ← shares 5 symptoms → disease A0" in human.output


@pytest.mark.parametrize("args, message", [
    (["predict", "--drug", "drug A5", "--disease", "disease A0"], "error: give --drug or --disease"),
    (["predict"], "error: give --drug or --disease"),
    (["predict", "--drug", "drug A55"], "error: unknown drug 'drug A55'; closest: drug A5"),
    (["predict", "--drug", "drug A5", "--relation", "om:frobs"], "is not an object property"),
    (["train", "--model", "ConvE"],
     "error: unknown model 'ConvE' (choose from ComplEx, RotatE, TransE, DistMult)"),
])
def test_cli_bad_input_exits_2_with_one_line(trained, args: list[str], message: str):
    result = CliRunner().invoke(cli, ["repurpose", *args, "--kb", str(trained[0])])
    assert result.exit_code == 2
    assert message in result.output


def test_cli_without_a_model_says_how_to_get_one(tmp_path: Path):
    path = tmp_path / "kb"
    build_families(KnowledgeBase(path)).close()
    result = CliRunner().invoke(cli, ["repurpose", "predict", "--kb", str(path), "--drug", "drug A5"])
    assert result.exit_code == 2
    assert result.output.strip().startswith("error: no trained model")
    assert "run ontomed repurpose train" in result.output


@pytest.mark.parametrize("verb", ["train", "predict"])
def test_every_verb_has_help_with_an_example(verb: str):
    result = run("repurpose", verb, "--help")
    assert result.exit_code == 0 and "Example" in result.output and "--kb" in result.output


def test_the_plugin_imports_neither_torch_nor_pykeen():
    code = ("import sys, ontomed.default_plugins.repurposing, ontomed.apps.repurposing; "
            "print([m for m in ('torch', 'pykeen') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_missing_pykeen_is_one_line_that_says_how_to_install_it(tmp_path: Path):
    path = tmp_path / "kb"
    build_families(KnowledgeBase(path)).close()
    code = ("import sys; sys.modules['pykeen'] = None; from ontomed.cli import main; "
            f"sys.argv = ['ontomed', 'repurpose', 'train', '--kb', {str(path)!r}]; main()")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYSTOW_HOME": str(tmp_path / "pystow")})
    assert proc.returncode == 1
    assert proc.stderr.strip() == ("error: training needs PyKEEN: pip install 'ontomed[ml,repurpose]' "
                                   "(one pip command, so that pip keeps the pinned CPU build of torch)")
