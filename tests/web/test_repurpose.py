"""Drug repurposing on the web: POST /api/repurpose and the /repurpose page, on a real server
whose knowledge base has a model trained in the test (seconds, one torch thread)."""

from __future__ import annotations

import importlib.util
import json
import os

import pytest

from tests.needs import missing

from ontomed import KnowledgeBase
from ontomed.iri import ENTITY
from ontomed.web import create_app

from tests.conftest import make_example_kb
from tests.live_server import build_example_kb, http, live_server

if importlib.util.find_spec("pykeen") is None:
    missing("the repurpose extra is not installed (pip install -e '.[ml,repurpose]')", module=True)

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def train_small_model(path, pystow_home) -> None:  # noqa: ANN001
    """A link prediction model for the example knowledge base: seconds, one torch thread."""
    import torch

    from ontomed.apps.repurposing import train

    os.environ.setdefault("PYSTOW_HOME", str(pystow_home))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with KnowledgeBase(path) as kb:
            train(kb, epochs=20, dim=8, threads=1, holdout=0.0, progress=False)
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    path = build_example_kb(tmp_path_factory.mktemp("web-repurpose") / "kb")
    train_small_model(path, tmp_path_factory.mktemp("pystow"))
    with live_server(path) as s:
        yield s


def test_repurpose_api_ranks_links_the_graph_does_not_hold(server):
    reply = http("POST", server.url + "api/repurpose", json.dumps({"drug": "Glucophage", "top": 5}), JSON)
    assert reply.status == 200 and reply.headers["cache-control"] == "no-store"
    body = json.loads(reply.body)
    assert body["entity"] == {"iri": ENTITY + "metformin", "label": "metformin"}
    assert body["predicts"] == "object" and body["relation_label"] == "treats"
    assert 1 <= len(body["candidates"]) <= 5 and body["known"] == 1
    offered = [c["entity"]["iri"] for c in body["candidates"]]
    assert ENTITY + "type_2_diabetes_mellitus" not in offered  # already in the graph
    assert [c["rank"] for c in body["candidates"]] == list(range(1, len(offered) + 1))
    for c in body["candidates"]:
        for path in c["paths"]:
            assert path["steps"] and {"from", "property", "label", "to", "shares"} <= set(path["steps"][0])


@pytest.mark.parametrize("data, status, message", [
    ({"drug": "metformin", "disease": "gout"}, 400, "one of them"),
    ({}, 400, "one of them"),
    ({"drug": "metfromin"}, 400, "closest: metformin"),
    ({"drug": "metformin", "relation": "cures"}, 400, "'cures' is not an object property"),
    ({"drug": "metformin", "top": 1000}, 400, "from 1 to 100"),
])
def test_bad_questions_are_a_400_with_a_message(server, data, status, message):
    reply = http("POST", server.url + "api/repurpose", json.dumps(data), JSON)
    assert reply.status == status and message in json.loads(reply.body)["error"]


def test_the_repurpose_page_shows_candidates_and_their_paths(server):
    reply = http("POST", server.url + "repurpose", "side=disease&name=cystic+fibrosis&relation=treats&top=3",
                 FORM)
    assert reply.status == 200
    page = reply.text
    assert "? treats" in page and 'href="/entity/cystic_fibrosis"' in page
    assert page.count('class="candidate"') >= 1
    assert 'value="disease" id="side-disease" checked' in page


def test_without_a_trained_model_the_api_says_how_to_train_one():
    client = create_app(make_example_kb()).test_client()
    reply = client.post("/api/repurpose", json={"drug": "metformin"})
    assert reply.status_code == 404 and "ontomed repurpose train" in reply.json["error"]
