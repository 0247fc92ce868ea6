"""Templated verbalization, the faithfulness check and ``ontomed describe`` (architecture.md §7).

All on the real store with the example data; the check runs ontomed's real
extraction. No model is involved here (see test_generation.py).
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ontomed import Evidence, KnowledgeBase, plugins
from ontomed import iri as I
from ontomed.cli import cli
from ontomed.errors import AmbiguousError, BadInputError, NotFoundError
from ontomed.components import TextGenerator
from ontomed.describe.faithfulness import check, check_batch, split_sentences
from ontomed.hookspecs import hookimpl
from ontomed.describe.service import describe_cached, neighbourhood_query
from ontomed.kb.names import resolve_entity
from ontomed.values import Fact
from ontomed.describe.verbalize import Verbalizer, describe, join_list, verbalize

from tests.conftest import make_example_kb

E = I.ENTITY


@pytest.fixture(scope="module")
def example() -> KnowledgeBase:
    kb = make_example_kb()
    return kb


@pytest.fixture
def fresh() -> KnowledgeBase:
    """The example data in a knowledge base a test may change."""
    kb = make_example_kb()
    return kb


def fact(kb: KnowledgeBase, s: str, p: str, o: str) -> Fact:
    (found,) = kb.facts(subject=E + s, predicate=p, object=E + o)
    return found


# -- one sentence per fact ------------------------------------------------------------

def test_a_fact_is_one_sentence_in_english_and_chinese(example: KnowledgeBase):
    f = fact(example, "metformin", "treats", "type_2_diabetes_mellitus")
    assert verbalize(example, f, "en") == "Metformin treats type 2 diabetes mellitus."
    assert verbalize(example, f, "zh") == "二甲双胍可用于治疗2型糖尿病。"


def test_a_fact_about_its_object_is_read_with_the_inverse_property(example: KnowledgeBase):
    f = fact(example, "metformin", "treats", "type_2_diabetes_mellitus")
    about = E + "type_2_diabetes_mellitus"
    assert verbalize(example, f, "en", about=about) == "Type 2 diabetes mellitus is treated by metformin."
    assert verbalize(example, f, "zh", about=about) == "2型糖尿病可用二甲双胍治疗。"
    text = describe(example, "type 2 diabetes mellitus").text
    assert "Type 2 diabetes mellitus is treated by metformin." in text


def test_a_symmetric_fact_reads_the_same_from_either_side(example: KnowledgeBase):
    assert "Aspirin interacts with ibuprofen and warfarin." in describe(example, "aspirin").text
    assert "Warfarin interacts with aspirin and clarithromycin." in describe(example, "warfarin").text


def test_the_sentences_come_from_the_ontology_not_from_code(fresh: KnowledgeBase):
    fresh.update("""
        DELETE { om:treats om:template ?t } INSERT { om:treats om:template "{subject} is a remedy for {object}."@en }
        WHERE { om:treats om:template ?t FILTER(LANG(?t) = "en") }""")
    f = fact(fresh, "metformin", "treats", "type_2_diabetes_mellitus")
    assert verbalize(fresh, f) == "Metformin is a remedy for type 2 diabetes mellitus."


# -- lists, order, limits --------------------------------------------------------------

def test_lists_are_joined_the_way_each_language_joins_them():
    assert join_list(["fever", "cough", "myalgia"], "en") == "fever, cough and myalgia"
    assert join_list(["发热", "咳嗽", "肌痛"], "zh") == "发热、咳嗽和肌痛"
    assert join_list(["fever", "cough"], "en") == "fever and cough"
    assert join_list(["fever"], "en") == "fever"
    assert join_list(["fever", "cough"], "en", omitted=3) == "fever, cough and 3 more"
    assert join_list(["发热", "咳嗽"], "zh", omitted=3) == "发热、咳嗽等5项"


def test_a_description_has_one_sentence_per_property_in_both_languages(example: KnowledgeBase):
    en = describe(example, "metformin", "en")
    assert en.text == ("Metformin can cause diarrhea, lactic acidosis and nausea as side effects. "
                       "Metformin is contraindicated in chronic kidney disease. "
                       "Metformin treats type 2 diabetes mellitus.")
    zh = describe(example, "Glucophage", "zh")
    assert zh.text == "二甲双胍的不良反应包括乳酸酸中毒、恶心和腹泻。二甲双胍禁用于慢性肾脏病。二甲双胍可用于治疗2型糖尿病。"
    assert [s.property for s in en.sentences] == [s.property for s in zh.sentences]


def test_a_long_list_is_cut_with_and_n_more(example: KnowledgeBase):
    en = describe(example, "metformin", "en", limit=2)
    assert en.sentences[0].text == "Metformin can cause diarrhea, lactic acidosis and 1 more as side effects."
    assert en.sentences[0].omitted == 1 and en.omitted == 1
    zh = describe(example, "metformin", "zh", limit=2)
    assert zh.sentences[0].text == "二甲双胍的不良反应包括乳酸酸中毒、恶心等3项。"
    with pytest.raises(BadInputError):
        describe(example, "metformin", limit=0)


def test_the_best_supported_facts_come_first(fresh: KnowledgeBase):
    fresh.add_entity("headache", "Symptom", "headache", labels={"zh": "头痛"})
    fresh.add_fact("metformin", "hasSideEffect", "headache", evidence=[
        Evidence(document=f"https://example.org/report/{i}", extractor="test", confidence=0.9)
        for i in range(3)])
    d = describe(fresh, "metformin", "en")
    assert d.sentences[0].text.startswith("Metformin can cause headache, diarrhea")
    assert d.sentences[0].statements[0].support == (3, 0.9)


def test_chinese_uses_the_english_label_when_there_is_no_chinese_one(fresh: KnowledgeBase):
    fresh.add_entity("zorbitol", "Drug", "zorbitol")
    fresh.add_fact("zorbitol", "treats", "hypertension")
    assert describe(fresh, "zorbitol", "zh").text == "zorbitol可用于治疗高血压。"


def test_an_unknown_language_is_bad_input(example: KnowledgeBase):
    with pytest.raises(BadInputError, match="unknown language"):
        describe(example, "metformin", "fr")


def test_facts_without_a_knowledge_base_are_read_with_their_own_labels():
    from ontomed.testing import sample_facts
    from ontomed.describe.verbalize import ontology_verbalizer

    d = ontology_verbalizer().describe_facts(sample_facts(), "en")
    assert d.text == "Metformin can cause nausea as a side effect. Metformin treats type 2 diabetes mellitus."


def test_the_neighbourhood_query_describes_an_entity_as_the_whole_graph_does(example: KnowledgeBase):
    import pyoxigraph as ox

    for name in ("metformin", "ome:type_2_diabetes_mellitus", "Coumadin"):
        body = example.query(neighbourhood_query(name)).serialize(format=ox.RdfFormat.N_TRIPLES)
        part = KnowledgeBase()
        part.load_data(body, "nt")
        assert len(part) < len(example) / 3
        for lang in ("en", "zh"):
            assert describe_cached(part, name, lang=lang) == describe_cached(example, name, lang=lang)


# -- the faithfulness check ---------------------------------------------------------------

def test_a_sentence_that_states_given_facts_is_supported(example: KnowledgeBase):
    d = describe(example, "metformin")
    c = check(example, d, "Metformin is used to treat type 2 diabetes. It may cause nausea, diarrhea "
                          "and lactic acidosis. Patients with chronic kidney disease should not take it.")
    assert [s.status for s in c.sentences] == ["supported", "supported", "supported"]
    assert (c.supported, c.total, c.facts_stated) == (3, 3, 5)
    assert c.text == c.generated


def test_unsupported_sentences_are_replaced_or_dropped_and_missing_facts_added(example: KnowledgeBase):
    d = describe(example, "metformin")
    c = check(example, d, "Metformin treats type 2 diabetes mellitus. Metformin also treats hypertension. "
                          "Metformin does not cause diarrhea. "
                          "Metformin is a popular drug.")
    statuses = [(s.status, s.reason) for s in c.sentences]
    assert statuses[0] == ("supported", None)
    assert statuses[1][0] == "dropped" and "hypertension" in statuses[1][1]
    assert statuses[2][0] == "replaced" and "negates" in statuses[2][1]
    assert c.sentences[2].text == "Metformin can cause diarrhea as a side effect."
    assert statuses[3] == ("dropped", "states none of the facts")
    assert [(s.status, s.text) for s in c.sentences[4:]] == [  # one added sentence per property
        ("added", "Metformin can cause lactic acidosis and nausea as side effects."),
        ("added", "Metformin is contraindicated in chronic kidney disease.")]
    assert (c.supported, c.total) == (1, 4)
    assert "hypertension" not in c.text and "popular" not in c.text


def test_a_relation_the_facts_do_not_have_is_unsupported(example: KnowledgeBase):
    d = describe(example, "metformin")
    c = check(example, d, "Metformin causes type 2 diabetes mellitus.")
    assert c.sentences[0].status == "replaced"
    assert "hasSideEffect" in c.sentences[0].reason
    assert c.sentences[0].text == "Metformin treats type 2 diabetes mellitus."


def test_inverse_and_symmetric_phrasings_match_the_facts(example: KnowledgeBase):
    d = describe(example, "type 2 diabetes mellitus")
    c = check(example, d, "Metformin is used for type 2 diabetes mellitus, which presents with polyuria, "
                          "polydipsia and fatigue.")
    assert c.sentences[0].status == "supported" and c.facts_stated == 4
    w = describe(example, "warfarin")
    assert check(example, w, "Clarithromycin and aspirin interact with warfarin.").supported == 1


def test_chinese_sentences_are_checked_by_their_names(example: KnowledgeBase):
    d = describe(example, "metformin", "zh")
    c = check(example, d, "二甲双胍可用于治疗2型糖尿病。二甲双胍也可以治疗高血压。")
    assert [s.status for s in c.sentences[:2]] == ["supported", "dropped"]
    assert c.sentences[-1].status == "added" and "高血压" not in c.text


# What the check counts is what a reader sees: the metformin output of issue 16, where a
# sentence said five more times, and said with "It", was counted as support five more times.
LOOPING = ("It is also used to treat type 2 diabetes mellitus. " + "It is used to treat type 2 diabetes mellitus. " * 5
           + "Metformin can cause nausea. It can also cause diarrhea. "
           + "Metformin is used to treat type 2 diabetes mellitus.").strip()


def test_a_sentence_that_says_again_what_was_said_is_a_repeat_not_support(example: KnowledgeBase):
    d = describe(example, "metformin")
    c = check(example, d, "Metformin is used to treat type 2 diabetes mellitus. Metformin can cause nausea. "
                          "Type 2 diabetes mellitus is treated with metformin. Metformin may cause nausea "
                          "and diarrhea.")
    assert [s.status for s in c.sentences[:4]] == ["supported", "supported", "repeat", "supported"]
    assert c.sentences[2].reason == "repeats what an earlier sentence said" and c.sentences[2].text == ""
    assert (c.supported, c.count("repeat"), c.total) == (3, 1, 4)  # a partly new sentence is kept
    assert c.text.count("treat") == 1


def test_it_refers_to_what_the_sentence_shown_before_it_is_about(example: KnowledgeBase):
    d = describe(example, "metformin")
    first = check(example, d, "It is used to treat type 2 diabetes mellitus. It can cause nausea.")
    assert first.sentences[0].status == "replaced"
    assert first.sentences[0].reason == "its subject 'It' refers to nothing said before it"
    assert first.sentences[0].text == "Metformin treats type 2 diabetes mellitus."
    assert first.sentences[1].status == "supported"  # after the template sentence about metformin
    other = check(example, d, "Nausea is a side effect of metformin. It is also used to treat type 2 "
                              "diabetes mellitus.")
    assert [s.status for s in other.sentences[:2]] == ["supported", "replaced"]
    assert other.sentences[1].reason == "its subject 'It' refers to nausea, not metformin"
    # resolved to metformin, the sentence is read as a claim about metformin: here a wrong one
    wrong = check(example, d, "Metformin can cause nausea. It causes type 2 diabetes mellitus.")
    assert wrong.sentences[1].status == "replaced" and "hasSideEffect" in wrong.sentences[1].reason
    dz = describe(example, "metformin", "zh")
    zh = check(example, dz, "它可用于治疗2型糖尿病。二甲双胍会引起恶心。它可用于治疗2型糖尿病。")
    assert [s.status for s in zh.sentences[:3]] == ["replaced", "supported", "repeat"]


def test_the_account_adds_up_to_the_sentences_shown(example: KnowledgeBase):
    d = describe(example, "metformin")
    c = check(example, d, LOOPING)
    statuses = [s.status for s in c.sentences]
    assert statuses[:9] == ["replaced"] + ["repeat"] * 5 + ["supported", "supported", "repeat"]
    assert c.sentences[7].reason is None  # "It" after the sentence about metformin is metformin
    assert (c.total, c.supported, c.count("replaced"), c.count("dropped"), c.count("repeat")) == (9, 2, 1, 0, 6)
    assert c.count("added") == 2 and c.printed == 5
    assert c.total == c.supported + c.count("replaced") + c.count("dropped") + c.count("repeat")
    assert len(split_sentences(c.text, "en")) == c.printed
    assert c.summary() == ("9 generated sentences: 2 kept, 1 replaced by a template sentence, 0 dropped as "
                           "unsupported, 6 dropped as repeats; 2 template sentences added for facts left out; "
                           "5 sentences shown")


class _Looping(TextGenerator):
    """What the default model wrote about metformin in issue 16."""

    id = "looping-test"

    def generate(self, facts, *, lang="en", **options):
        return LOOPING


class _LoopingPlugin:
    @hookimpl
    def register_text_generators(self, register):
        register(_Looping())


def test_generate_prints_each_sentence_once_and_an_account_that_adds_up(kb_dir: str):
    plugins.reset()
    plugins.get_plugin_manager().register(_LoopingPlugin(), name="looping-test")
    try:
        result = CliRunner().invoke(cli, ["generate", "--kb", kb_dir, "metformin", "--generator", "looping-test"])
    finally:
        plugins.reset()
    assert result.exit_code == 0, result.output
    text = result.stdout.strip().replace(" [template]", "")
    sentences = [text[a:b] for a, b in split_sentences(text, "en")]
    assert len(sentences) == len(set(sentences)) == 5
    assert result.stdout.count("[template]") == 3  # 1 replaced + 2 added
    summary = result.stderr.strip()
    assert summary.startswith("(9 generated sentences: 2 kept, 1 replaced by a template sentence, "
                              "0 dropped as unsupported, 6 dropped as repeats; 2 template sentences added "
                              "for facts left out; 5 sentences shown; model ")


def test_many_paragraphs_are_checked_in_one_pass(example: KnowledgeBase):
    ds = [describe(example, name) for name in ("metformin", "warfarin", "CFTR")]
    texts = ["Metformin treats type 2 diabetes mellitus.", "", "CFTR is associated with cystic fibrosis."]
    checked = check_batch(example, ds, texts)
    assert [c.supported for c in checked] == [1, 0, 1]
    assert checked[1].text == ds[1].text  # nothing generated: every fact added from the template


def test_without_a_knowledge_base_the_check_matches_the_facts_labels():
    from ontomed.testing import sample_facts
    from ontomed.describe.verbalize import ontology_verbalizer

    d = ontology_verbalizer().describe_facts(sample_facts(), "en")
    c = check(None, d, "Metformin treats type 2 diabetes mellitus. The sky is blue.")
    assert [s.status for s in c.sentences] == ["supported", "dropped", "added"]


# -- names -------------------------------------------------------------------------------

def test_an_unknown_name_lists_the_closest_matches(example: KnowledgeBase):
    with pytest.raises(NotFoundError, match="closest: metformin") as info:
        resolve_entity(example, "metfromin")
    assert info.value.candidates[0] == E + "metformin"  # type: ignore[attr-defined]
    with pytest.raises(NotFoundError, match="closest: aspirin"):
        resolve_entity(example, "ome:asprin")


def test_an_ambiguous_name_lists_the_entities_it_could_mean(fresh: KnowledgeBase):
    fresh.add_entity("drug_a", "Drug", "drug a", synonyms=["XR-1"])
    fresh.add_entity("drug_b", "Drug", "drug b", synonyms=["XR-1"])
    with pytest.raises(AmbiguousError, match=r"names 2 entities: drug a \(ome:drug_a\), drug b"):
        resolve_entity(fresh, "xr-1")


# -- ontomed describe ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def kb_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("describe") / "kb"
    with make_example_kb(path) as kb:
        kb.add_entity("drug_a", "Drug", "drug a", synonyms=["XR-1"])
        kb.add_entity("drug_b", "Drug", "drug b", synonyms=["XR-1"])
    return str(path)


def test_describe_prints_the_template_text(kb_dir: str):
    result = CliRunner().invoke(cli, ["describe", "--kb", kb_dir, "T2DM", "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "2型糖尿病可表现为多尿、烦渴和疲劳。2型糖尿病可用二甲双胍治疗。"


def test_describe_json_lists_each_sentence_with_its_facts(kb_dir: str):
    import json

    result = CliRunner().invoke(cli, ["describe", "--kb", kb_dir, "metformin", "--json", "--limit", "2"])
    data = json.loads(result.output)
    assert data["entity"] == E + "metformin" and data["facts"] == 5 and data["facts_listed"] == 4
    first = data["sentences"][0]
    assert first["omitted"] == 1 and len(first["facts"]) == 2
    assert first["facts"][0]["evidence"] == 1 and first["facts"][0]["confidence"] == 1.0


@pytest.mark.parametrize(("name", "says"), [
    ("metfromin", "closest: metformin"),
    ("XR-1", "names 2 entities"),
    ("ome:nothing_like_it_at_all_zzz", "no entity"),
])
def test_describe_exits_2_on_an_unknown_or_ambiguous_name(kb_dir: str, name: str, says: str):
    result = CliRunner().invoke(cli, ["describe", "--kb", kb_dir, name])
    assert result.exit_code == 2
    assert says in result.output and result.output.count("\n") == 1


def test_describe_refuses_an_unknown_language(kb_dir: str):
    result = CliRunner().invoke(cli, ["describe", "--kb", kb_dir, "metformin", "--lang", "fr"])
    assert result.exit_code == 2


def test_template_verbalization_is_fast(example: KnowledgeBase):
    """The hot path (facts already read) does well over 20k facts per second even on a busy CI."""
    import time

    verbalizer = Verbalizer(example)
    facts = example.facts()
    started = time.perf_counter()
    n = 0
    while time.perf_counter() - started < 0.2:
        n += len(verbalizer.sentences(facts, "en"))
    assert n / (time.perf_counter() - started) > 20_000


# -- sentences that read well -----------------------------------------------------------------------

def test_a_list_takes_the_plural_template_and_one_fact_the_singular(example: KnowledgeBase):
    d = describe(example, "type 2 diabetes mellitus")
    assert d.sentences[0].text == "Type 2 diabetes mellitus has the symptoms fatigue, polydipsia and polyuria."
    one = describe(example, "type 2 diabetes mellitus", limit=1)  # cut: still a list, "and 2 more"
    assert one.sentences[0].text == "Type 2 diabetes mellitus has the symptoms fatigue and 2 more."
    [single] = [s for s in describe(example, "metformin").sentences if "contraindicated" in s.text]
    assert single.text == "Metformin is contraindicated in chronic kidney disease."
    st = d.sentences[0].statements
    assert d.sentences[0].say(st[:1]) == "Type 2 diabetes mellitus has the symptom fatigue."
    assert d.sentences[0].say(st[:2]) == "Type 2 diabetes mellitus has the symptoms fatigue and polydipsia."


def test_a_knowledge_base_made_before_plural_templates_gets_the_bundled_ones(example: KnowledgeBase):
    example.update("DELETE WHERE { ?p om:templatePlural ?t }")
    assert describe(example, "type 2 diabetes mellitus").sentences[0].text.startswith(
        "Type 2 diabetes mellitus has the symptoms ")
    example.update('DELETE WHERE { om:hasSymptom om:template ?t } ; '
                   'INSERT DATA { om:hasSymptom om:template "{subject} presents with {object}."@en }')
    assert describe(example, "type 2 diabetes mellitus").sentences[0].text.startswith(
        "Type 2 diabetes mellitus presents with ")  # its own template, and no plural it did not write


def test_a_capitalized_label_is_lower_case_inside_a_sentence_but_names_and_symbols_keep_theirs():
    from ontomed import Evidence

    kb = KnowledgeBase()
    kb.initialize()
    ev = Evidence(document="https://example.org/d", extractor="test")
    kb.add_entity("metformin", "Drug", "Metformin")
    kb.add_entity("ckd", "Disease", "Chronic kidney disease")
    kb.add_entity("pd", "Disease", "Parkinson disease")
    kb.add_entity("jpd", "Disease", "Hereditary late-onset Parkinson disease")  # the vocabulary's evidence
    kb.add_entity("anemia", "Disease", "Anemia of chronic disease")
    kb.add_entity("cftr", "Gene", "CFTR")
    kb.add_entity("levodopa", "Drug", "Levodopa")
    kb.add_entity("t2dm", "Disease", "Diabetes Mellitus, Type 2")
    kb.add_fact("metformin", "contraindicatedFor", "ckd", evidence=ev)
    kb.add_fact("levodopa", "treats", "pd", evidence=ev)
    kb.add_fact("metformin", "treats", "t2dm", evidence=ev)
    kb.add_fact("pd", "associatedWith", "cftr", evidence=ev)
    metformin = describe(kb, "metformin").text
    assert "Metformin is contraindicated in chronic kidney disease." in metformin
    assert "Metformin treats diabetes mellitus, type 2." in metformin
    assert describe(kb, "Parkinson disease").text == ("Parkinson disease is associated with CFTR. "
                                                      "Parkinson disease is treated by levodopa.")
    assert describe(kb, "Chronic kidney disease").text == "Chronic kidney disease is a contraindication to metformin."


@pytest.mark.parametrize(("label", "written"), [
    ("Chronic kidney disease", "chronic kidney disease"),
    ("Parkinson disease", "Parkinson disease"),
    ("CFTR", "CFTR"),
    ("HbA1c", "HbA1c"),
    ("X-linked ichthyosis", "X-linked ichthyosis"),
    ("Ehlers-Danlos syndrome", "Ehlers-Danlos syndrome"),
    ("Marfan syndrome", "Marfan syndrome"),        # an eponym the vocabulary never wrote in lower case
    ("Skin disease", "skin disease"),               # a common word before "disease"
    ("Infectious disease", "infectious disease"),   # an adjective before "disease"
    ("Female Urogenital Diseases", "female urogenital diseases"),  # MeSH's Title Case
    ("Abnormality of the Achilles tendon", "abnormality of the Achilles tendon"),
    ("type 2 diabetes mellitus", "type 2 diabetes mellitus"),
])
def test_running_case(label: str, written: str):
    from ontomed.describe.verbalize import running_case

    assert running_case(label, proper={"parkinson", "achilles"}, common={"chronic", "skin"}) == written
