"""The applications on the web (architecture.md §9): a JSON API and a page for each.

``POST /api/<app>`` takes a JSON object and answers the library function's
``to_dict()``; ``/<app>`` is a form and its answer rendered for a person. Both
run the application in a query worker (ontomed.web.jobs), so a slow or crashing
request costs one worker, as a SPARQL query does, and both answer the same
errors: a name the knowledge base does not know is a 400 that lists each such
name with the closest names it holds; a body over :data:`MAX_APP_BODY` or more
than :data:`MAX_NAMES` names is a 413.

Patient data (findings, conditions, drugs taken) travels only in POST bodies:
never in a URL, so never in the access log (which also leaves out the query
string of these paths) or a proxy's; responses carry ``Cache-Control:
no-store``; nothing is cached or written on the server.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request

from .context import state
from .describe import entity_path
from .errors import HTTPError

bp = Blueprint("apps", __name__)

#: Largest JSON or form body an application accepts (a few hundred names fit easily).
MAX_APP_BODY = 64 * 1024
#: Most names in one list (findings, conditions, drugs).
MAX_NAMES = 100
#: Longest single name.
MAX_NAME_LENGTH = 300
#: Paths whose query strings the access log leaves out (patient data must never be logged).
PRIVATE_PATHS = ("/api/diagnose", "/api/treat", "/api/repurpose", "/diagnose", "/treat", "/repurpose")


@dataclass(frozen=True)
class App:
    """One application as the web shows it."""

    name: str                                   # the path: /api/<name> and /<name>
    title: str                                  # the navigation's and the page's title
    job: str                                    # the engine job that runs it
    template: str
    params: Callable[[Mapping[str, Any]], dict[str, Any]]  # JSON object → job parameters
    form: Callable[[Mapping[str, Any]], dict[str, Any]]    # form fields → that JSON object


# -- validating what a client sends ------------------------------------------------------

def _names(data: Mapping[str, Any], key: str, *, required: bool = False) -> list[str]:
    value = data.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise HTTPError(400, f"{key!r} must be a list of names (strings)")
    value = [v.strip() for v in value if v.strip()]
    if len(value) > MAX_NAMES:
        raise HTTPError(413, f"{key!r} has {len(value)} names; at most {MAX_NAMES} are accepted")
    if any(len(v) > MAX_NAME_LENGTH for v in value):
        raise HTTPError(413, f"a name in {key!r} is longer than {MAX_NAME_LENGTH} characters")
    if required and not value:
        raise HTTPError(400, f"{key!r} is required: give at least one name")
    return value


def _one_name(data: Mapping[str, Any], key: str, *, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise HTTPError(400, f"{key!r} is required")
        return None
    if not isinstance(value, str):
        raise HTTPError(400, f"{key!r} must be a name (a string)")
    if len(value) > MAX_NAME_LENGTH:
        raise HTTPError(413, f"{key!r} is longer than {MAX_NAME_LENGTH} characters")
    return value.strip()


def _number(data: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = data.get(key, default)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise HTTPError(400, f"{key!r} must be a whole number from {low} to {high}")
    return value


def _only(data: Mapping[str, Any], known: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise HTTPError(400, f"unknown field(s) {', '.join(map(repr, unknown))} (known: {', '.join(known)})")


def _lines(form: Mapping[str, Any], key: str) -> list[str]:
    """A textarea of names, one per line (names may hold commas: "Diabetes Mellitus, Type 2")."""
    return [line.strip() for line in str(form.get(key, "")).splitlines() if line.strip()]


# -- the applications ------------------------------------------------------------------

def _diagnose_params(data: Mapping[str, Any]) -> dict[str, Any]:
    _only(data, ("symptoms", "exclude", "top"))
    return {"symptoms": _names(data, "symptoms", required=True), "exclude": _names(data, "exclude"),
            "top": _number(data, "top", 10, 1, 100)}


def _diagnose_form(form: Mapping[str, Any]) -> dict[str, Any]:
    return {"symptoms": _lines(form, "symptoms"), "exclude": _lines(form, "exclude"),
            "top": str(form.get("top") or "10")}


def _treat_params(data: Mapping[str, Any]) -> dict[str, Any]:
    _only(data, ("disease", "conditions", "taking"))
    return {"disease": _one_name(data, "disease"), "conditions": _names(data, "conditions"),
            "taking": _names(data, "taking")}


def _treat_form(form: Mapping[str, Any]) -> dict[str, Any]:
    return {"disease": str(form.get("disease", "")), "conditions": _lines(form, "conditions"),
            "taking": _lines(form, "taking")}


def _repurpose_params(data: Mapping[str, Any]) -> dict[str, Any]:
    _only(data, ("drug", "disease", "relation", "top"))
    drug, disease = _one_name(data, "drug", required=False), _one_name(data, "disease", required=False)
    if (drug is None) == (disease is None):
        raise HTTPError(400, "give 'drug' or 'disease' (one of them)")
    return {"drug": drug, "disease": disease,
            "relation": _one_name(data, "relation", required=False) or "treats",
            "top": _number(data, "top", 10, 1, 100)}


def _repurpose_form(form: Mapping[str, Any]) -> dict[str, Any]:
    side = "disease" if form.get("side") == "disease" else "drug"
    return {side: str(form.get("name", "")), "relation": str(form.get("relation") or "treats"),
            "top": str(form.get("top") or "10")}


APPS: dict[str, App] = {
    "diagnose": App("diagnose", "Diagnose", "diagnose", "diagnose.html", _diagnose_params,
                    _diagnose_form),
    "treat": App("treat", "Treat", "treat", "treat.html", _treat_params, _treat_form),
    "repurpose": App("repurpose", "Repurpose", "repurpose", "repurpose.html", _repurpose_params,
                     _repurpose_form),
}


# -- routes ------------------------------------------------------------------------------

def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _run(app: App, data: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
    """(status, body): the job's answer, or the error a client can act on."""
    try:
        params = app.params(data)
    except HTTPError as exc:
        return exc.http_status, {"error": str(exc)}
    answer = state().engine.run(app.job, **params)
    return answer["status"], answer["body"]


def _body_size_checked() -> None:
    if (request.content_length or 0) > MAX_APP_BODY or len(request.get_data(cache=True)) > MAX_APP_BODY:
        raise HTTPError(413, f"request body too large for this application (at most {MAX_APP_BODY} bytes)")


def api(name: str) -> Response:
    app = APPS[name]
    _body_size_checked()
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        response = jsonify({"error": "send a JSON object (Content-Type: application/json), for example "
                                     + _EXAMPLES.get(name, "{}")})
        response.status_code = 415 if not request.is_json else 400
        return _private(response)
    status, body = _run(app, data)
    response = jsonify(body)
    response.status_code = status
    return _private(response)


def page(name: str) -> tuple[str, int] | Response:
    app = APPS[name]
    values: dict[str, Any] = {}
    answer = error = None
    status = 200
    if request.method == "POST":
        _body_size_checked()
        values = app.form(request.form)
        status, body = _run(app, values)
        answer, error = (body, None) if status == 200 else (None, body)
    html = render_template(app.template, label=state().label, app=app, apps=APPS, values=values,
                           answer=answer, error=error, page_path=entity_path)
    return _private(Response(html, status=status, mimetype="text/html"))


_EXAMPLES = {
    "repurpose": '{"drug": "metformin", "relation": "treats", "top": 10}',
    "diagnose": '{"symptoms": ["fever", "cough", "HP:0002094"], "exclude": ["rash"], "top": 10}',
    "treat": '{"disease": "atrial fibrillation", "conditions": ["peptic ulcer"], "taking": ["aspirin"]}',
}

@bp.app_context_processor
def _navigation() -> dict[str, Any]:
    return {"applications": APPS}


for _name in APPS:
    bp.add_url_rule(f"/api/{_name}", f"api_{_name}", lambda _n=_name: api(_n), methods=["POST"])
    bp.add_url_rule(f"/{_name}", _name, lambda _n=_name: page(_n), methods=["GET", "POST"])
