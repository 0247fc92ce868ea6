"""The applications on the web: JSON APIs and pages, on a real server (ontomed serve)."""

from __future__ import annotations

import json
import time

import pytest

from ontomed import KnowledgeBase

from tests.conftest import add_treatment_facts
from tests.live_server import build_example_kb, http, live_server

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    path = build_example_kb(tmp_path_factory.mktemp("web-apps") / "kb")
    with KnowledgeBase(path) as kb:
        add_treatment_facts(kb)
    with live_server(path) as s:
        yield s, path


@pytest.fixture(scope="module")
def server(served):
    return served[0]


def _post(server, path: str, data) -> tuple[int, dict]:  # noqa: ANN001
    reply = http("POST", server.url + path, json.dumps(data), JSON)
    assert reply.content_type == "application/json", reply.text
    assert reply.headers.get("cache-control") == "no-store"
    return reply.status, json.loads(reply.body)


def test_treat_api_answers_the_library_result(server):
    status, body = _post(server, "api/treat", {"disease": "hypercholesterolemia",
                                               "conditions": ["hepatitis"], "taking": ["clarithromycin"]})
    assert status == 200
    assert body["disease"]["label"] == "hypercholesterolemia"
    assert body["counts"] == {"suggested": 1, "caution": 0, "excluded": 2}
    verdicts = {c["label"]: c["status"] for c in body["candidates"]}
    assert verdicts == {"niacin": "suggested", "atorvastatin": "excluded", "simvastatin": "excluded"}
    simva = next(c for c in body["candidates"] if c["label"] == "simvastatin")
    assert {r["kind"] for r in simva["reasons"]} == {"interaction", "contraindication"}
    assert all(r["sources"] for r in simva["reasons"])


def test_unknown_names_are_a_400_with_the_closest_names(server):
    status, body = _post(server, "api/treat", {"disease": "hypercholesterolemai", "taking": ["asprin"]})
    assert status == 400
    names = {n["name"]: n for n in body["names"]}
    assert names["asprin"]["candidates"][0]["label"] == "aspirin"
    assert names["hypercholesterolemai"]["candidates"][0]["label"] == "hypercholesterolemia"
    assert "unknown drug 'asprin'" in body["error"]


def test_serve_builds_the_diagnosis_model_before_its_read_only_workers_start(served):
    _server, kb_dir = served
    assert (kb_dir / "cache" / "diagnosis-v1.pickle").is_file()


def test_diagnose_api_ranks_and_explains(server):
    status, body = _post(server, "api/diagnose", {"symptoms": ["polyuria", "HP:0001959"],
                                                  "exclude": ["cough"], "top": 3})
    assert status == 200
    first = body["candidates"][0]
    assert first["label"] == "type 2 diabetes mellitus" and first["rank"] == 1
    assert [m["finding"]["label"] for m in first["explained"]] == ["polyuria", "polydipsia"]
    assert first["explained"][0]["explanation"].startswith("its phenotype")
    assert body["excluded"][0]["label"] == "cough" and len(body["candidates"]) <= 3
    status, body = _post(server, "api/diagnose", {"symptoms": ["polyuira", "aspirin"]})
    assert status == 400 and [n["name"] for n in body["names"]] == ["polyuira", "aspirin"]
    assert body["names"][0]["candidates"][0]["label"] == "polyuria"
    assert body["names"][1]["reason"] == "unusable"
    assert _post(server, "api/diagnose", {"symptoms": []})[0] == 400
    assert _post(server, "api/diagnose", {"symptoms": ["polyuria"], "top": 0})[0] == 400


def test_the_diagnose_page_shows_the_ranking_and_what_to_ask(server):
    reply = http("POST", server.url + "diagnose", "symptoms=polyuria%0D%0Apolydipsia&exclude=&top=5",
                 {"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 200 and reply.headers["cache-control"] == "no-store"
    assert 'href="/entity/type_2_diabetes_mellitus"' in reply.text
    assert "polydipsia: its phenotype" in reply.text and "Ask about:" in reply.text


@pytest.mark.parametrize("data, status, message", [
    ({"taking": ["aspirin"]}, 400, "'disease' is required"),
    ({"disease": "gout", "taking": "aspirin", "dose": 3}, 400, "unknown field(s) 'dose'"),
    ({"disease": "gout", "taking": [1, 2]}, 400, "must be a list of names"),
    ({"disease": "gout", "taking": ["aspirin"] * 101}, 413, "at most 100"),
    ({"disease": "x" * 400}, 413, "longer than"),
])
def test_bad_input_is_a_4xx_with_a_message(server, data, status, message):
    got, body = _post(server, "api/treat", data)
    assert got == status and message in body["error"]


def test_what_is_not_a_json_object_or_too_big_is_refused(server):
    plain = http("POST", server.url + "api/treat", "disease=gout",
                 {"Content-Type": "application/x-www-form-urlencoded"})
    assert plain.status == 415 and "JSON object" in json.loads(plain.body)["error"]
    array = http("POST", server.url + "api/treat", "[1]", JSON)
    assert array.status == 400
    huge = http("POST", server.url + "api/treat", json.dumps({"disease": "a" * 70_000}), JSON)
    assert huge.status == 413
    assert http("GET", server.url + "api/treat").status == 405


def test_the_treat_page_shows_the_form_and_the_verdicts(server):
    empty = http("GET", server.url + "treat")
    assert empty.status == 200 and "<form" in empty.text and 'name="disease"' in empty.text
    assert "/treat" in http("GET", server.url).text  # in the navigation of every page
    reply = http("POST", server.url + "treat",
                 "disease=hypercholesterolemia&taking=clarithromycin&conditions=",
                 {"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 200 and reply.headers["cache-control"] == "no-store"
    page = reply.text
    assert "3 candidates for" in page and 'class="verdict excluded"' in page
    assert 'href="/entity/simvastatin"' in page
    assert "Do not combine simvastatin with clarithromycin." in page
    bad = http("POST", server.url + "treat", "disease=hypercholesterolemai",
               {"Content-Type": "application/x-www-form-urlencoded"})
    assert bad.status == 400 and 'class="candidate" href="/entity/hypercholesterolemia"' in bad.text


def test_the_access_log_never_holds_patient_data(server):
    http("GET", server.url + "treat?disease=secret-disease-name&taking=secret-drug")
    http("GET", server.url + "diagnose?symptoms=secret-finding")
    _post(server, "api/treat", {"disease": "gout", "conditions": ["secret-condition"]})
    _post(server, "api/diagnose", {"symptoms": ["secret-symptom"]})
    deadline = time.monotonic() + 5
    while not any("/api/treat" in line for line in server.log) and time.monotonic() < deadline:
        time.sleep(0.05)
    logged = "\n".join(server.log)
    assert '"GET /treat HTTP/1.1" 200' in logged and '"POST /api/treat HTTP/1.1" 400' in logged
    assert "secret" not in logged
