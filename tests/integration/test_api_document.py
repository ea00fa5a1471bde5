"""The published OpenAPI document says what the server enforces, and who must sign in first."""

from __future__ import annotations

import re

import jsonschema_rs
import pytest

from complaints.domain.values import Channel, Language, Outcome, Status, Visibility
from complaints.readmodels.case_index import MAX_OFFSET
from complaints.web.api.links import link_name
from complaints.web.api.schemas.cases import AS_OF
from complaints.web.api.schemas.fields import (
    CREDIT_CODE,
    CREDIT_CODE_FORMAT,
    PHONE,
    REFERENCE,
    VERSION_TAG,
)


@pytest.fixture
def spec(client):
    return client.get("/openapi.json").json


@pytest.fixture
def schemas(spec):
    return spec["components"]["schemas"]


def operations(spec):
    """(path, method, operation) of every operation in the document."""
    return [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def parameter(operation, name):
    return next(p for p in operation["parameters"] if p["name"] == name)


def query(spec, path, name):
    return parameter(spec["paths"][path]["get"], name)["schema"]


def test_the_routing_tables_categories_and_departments_are_enums(spec, schemas, runtime):
    routing = runtime.services.routing
    departments = sorted(routing.departments)

    assert schemas["Filing"]["properties"]["category"]["enum"] == sorted(routing.categories)
    assert query(spec, "/api/v1/cases", "category")["enum"] == sorted(routing.categories)
    assert schemas["Assignment"]["properties"]["lead"]["enum"] == departments
    assert schemas["Assignment"]["properties"]["co"]["items"]["enum"] == departments
    assert schemas["Transfer"]["properties"]["to"]["enum"] == [*departments, None]
    assert query(spec, "/api/v1/scorecards", "department")["enum"] == departments


def test_the_closed_lists_of_the_domain_are_enums(spec, schemas):
    def values(enum):
        return [member.value for member in enum]

    assert schemas["Filing"]["properties"]["channel"]["enum"] == values(Channel)
    assert schemas["Filer"]["properties"]["language"]["enum"] == values(Language)
    assert schemas["Note"]["properties"]["visibility"]["enum"] == values(Visibility)
    assert schemas["Response"]["properties"]["outcome"]["enum"] == values(Outcome)
    assert query(spec, "/api/v1/cases", "status")["enum"] == values(Status)
    assert query(spec, "/api/v1/queues/{department}", "status")["items"]["enum"] == values(Status)
    assert schemas["Rating"]["properties"]["channel"]["enum"] == values(Channel)
    score = schemas["Rating"]["properties"]["score"]
    assert (score["type"], score["minimum"], score["maximum"]) == ("integer", 1, 5)


def test_the_patterns_the_server_checks_are_published_as_they_are_checked(spec, schemas):
    filer = schemas["Filer"]["properties"]
    assert filer["phone"]["pattern"] == PHONE.pattern
    assert filer["credit_code"]["pattern"] == CREDIT_CODE.pattern
    assert filer["credit_code"]["format"] == CREDIT_CODE_FORMAT
    assert schemas["FilerCredentials"]["properties"]["reference"]["pattern"] == REFERENCE.pattern
    assert query(spec, "/api/v1/cases", "reference")["pattern"] == REFERENCE.pattern
    accept = spec["paths"]["/api/v1/cases/{case}/accept"]["post"]
    assert parameter(accept, "If-Match")["schema"]["pattern"] == VERSION_TAG.pattern
    history = spec["paths"]["/api/v1/cases/{case}/history"]["get"]
    assert parameter(history, "as_of")["schema"]["pattern"] == AS_OF.pattern
    for path in ("/api/v1/cases", "/api/v1/queues/{department}", "/api/v1/scorecards/cases"):
        assert query(spec, path, "offset")["maximum"] == MAX_OFFSET


@pytest.mark.parametrize(
    ("value", "valid"),
    [('"3"', True), ('W/"3"', True), ("3", True), ("*", True), ("²", False), ("١٢", False),
     ("9" * 19, False), ('"3', False), ("three", False)],
)
def test_the_if_match_pattern_is_the_servers_rule(intake_case, value, valid):
    session, reference = intake_case
    reply = session.act(reference, "notes", {"text": "笔记"}, headers={"If-Match": value})

    assert bool(VERSION_TAG.search(value)) is valid
    assert (reply.status_code != 422) is valid, reply.get_json()


@pytest.fixture
def intake_case(staff, filer):
    intake = staff.login("intake")
    case = filer.file_case()
    return intake, case.reference


def test_an_anonymous_request_is_401_before_its_input_is_read(client, spec, filer, assert_error):
    """A bad body or query from someone not signed in learns that they must sign in, never
    what a valid request would hold (the categories, the departments…)."""
    reference = filer.file_case().reference
    secured = [
        (path, method, operation)
        for path, method, operation in operations(spec)
        if operation.get("security")
    ]
    assert len(secured) >= 25

    for path, method, operation in secured:
        url = path.replace("{case}", reference).replace("{department}", "TAX")
        query = {param["name"]: "?" for param in operation.get("parameters", [])
                 if param["in"] == "query"}
        reply = client.open(url, method=method.upper(), query_string={**query, "nope": "1"},
                            json={"category": "none such", "to": "NOWHERE"},
                            headers={"If-Match": "yesterday"})

        body = assert_error(reply, 401, "unauthenticated")
        assert "tax" not in reply.get_data(as_text=True), (method, path, body)


def test_every_operation_lists_the_statuses_it_can_answer_in_the_error_shape(spec):
    error = {"$ref": "#/components/schemas/Error"}
    for path, method, operation in operations(spec):
        declared = operation["responses"]
        expected = set()
        if operation.get("security"):
            expected |= {"401", "403"}
        if "requestBody" in operation:
            expected |= {"400", "413", "415", "422"}
        if any(param["in"] in ("query", "header") for param in operation.get("parameters", [])):
            expected.add("422")
        if "{case}" in path:
            expected.add("404")
        if path.startswith("/api/"):
            expected.add("503")
        assert expected <= set(declared), (method, path, expected - set(declared))
        for status, response in declared.items():
            if status[0] in "45":
                assert response["content"]["application/json"]["schema"] == error, (path, status)
    sign_in = spec["paths"]["/api/v1/auth/token"]["post"]["responses"]
    assert "429" in sign_in


def test_the_credit_code_pattern_holds_every_valid_code_and_says_the_rest_but_the_check():
    from complaints.domain.credit_code import ALPHABET, check_character, credit_code_problem

    first17 = "91350100M000100Y4"
    assert not credit_code_problem(first17 + check_character(first17))
    assert CREDIT_CODE.search(first17 + check_character(first17))
    wrong_check = next(c for c in ALPHABET if c != check_character(first17))
    assert CREDIT_CODE.search(first17 + wrong_check)  # only the check character is beyond it
    for bad in ("91350100M000100Y4", "9I350100M000100Y43", "91A50100M000100Y43", ""):
        assert credit_code_problem(bad) and not CREDIT_CODE.search(bad)
    assert re.fullmatch(r"\^.*\$", CREDIT_CODE.pattern)


def test_every_text_a_request_carries_says_the_characters_the_server_refuses(spec):
    """The server refuses NUL in any string of a request (no store keeps it); a text the
    document leaves open (no pattern, choice or format) would be valid to a client and
    refused by the server. Headers and paths are left out: HTTP carries no NUL in a header,
    and a name in the path holding one names nothing (404, as for any unknown name)."""
    def open_texts(schema, where, seen):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            if name not in seen:
                yield from open_texts(spec["components"]["schemas"][name], name, seen | {name})
            return
        types = schema.get("type")
        text = types == "string" or (isinstance(types, list) and "string" in types)
        said = {"pattern", "enum", "format"} & schema.keys() or schema.get("readOnly")
        if text and not said:
            yield where
        for name, field in schema.get("properties", {}).items():
            yield from open_texts(field, f"{where}.{name}", seen)
        if isinstance(schema.get("items"), dict):
            yield from open_texts(schema["items"], f"{where}[]", seen)

    found = []
    for path, method, operation in operations(spec):
        for given in spec["paths"][path].get("parameters", []) + operation.get("parameters", []):
            if given["in"] in {"query", "cookie"}:
                found += open_texts(given.get("schema", {}), f"{given['in']} {given['name']}",
                                    frozenset())
        for content in operation.get("requestBody", {}).get("content", {}).values():
            found += [f"{method.upper()} {path}: {where}"
                      for where in open_texts(content.get("schema", {}), "body", frozenset())]
    assert sorted(set(found)) == []


def resolve(spec, schema):
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = spec["components"]["schemas"][name]
    return schema


def schema_at(spec, schema, pointer):
    """The schema of what a JSON pointer reaches in a body of `schema`, or None."""
    for part in pointer.strip("/").split("/"):
        schema = resolve(spec, schema)
        schema = schema.get("items") if part.isdigit() else schema.get("properties", {}).get(part)
        if schema is None:
            return None
    return resolve(spec, schema)


def parameters_at(spec, ref):
    """(in, name) of each parameter of the operation `ref` points to, its path's included."""
    path, method = ref.removeprefix("#/paths/").rsplit("/", 1)
    item = spec["paths"][path.replace("~1", "/").replace("~0", "~")]
    return {(p["in"], p["name"]) for p in item.get("parameters", []) + item[method].get(
        "parameters", [])}


def test_every_link_names_an_operation_its_parameters_and_what_the_answer_carries(spec):
    linked = {}
    for path, method, operation in operations(spec):
        for status, response in operation["responses"].items():
            for name, link in response.get("links", {}).items():
                linked.setdefault((path, method, status), set()).add(name)
                names = parameters_at(spec, link["operationRef"])
                for parameter_name, expression in link["parameters"].items():
                    where, _, bare = parameter_name.rpartition(".")
                    assert (where or "path", bare) in names, (path, name, parameter_name)
                    if expression.startswith("$response.body#"):
                        body = response["content"]["application/json"]["schema"]
                        found = schema_at(spec, body, expression.split("#", 1)[1])
                        assert found is not None and found.get("type") == "string", (
                            path, status, name, expression)
                    else:
                        header = expression.removeprefix("$response.header.")
                        assert header in response.get("headers", {}), (path, name, expression)

    on_a_case = {link_name(p, m) for p, m, _ in operations(spec) if "{case}" in p}
    # The filing's answers, a case read and the case list lead to every operation on a case.
    for source in (("/api/v1/cases", "post", "201"), ("/api/v1/cases", "post", "200"),
                   ("/api/v1/cases/{case}", "get", "200"), ("/api/v1/cases", "get", "200")):
        assert linked[source] == on_a_case, source
    assert len(on_a_case) == 30


def test_a_case_read_hands_its_version_on_to_each_step_as_if_match(spec):
    links = spec["paths"]["/api/v1/cases/{case}"]["get"]["responses"]["200"]["links"]
    steps = [link for link in links.values() if link["operationRef"].endswith("/post")]
    assert steps
    for link in steps:
        assert link["parameters"]["header.If-Match"] == "$response.header.ETag"


def _nullable_as_types(schema):
    """An OpenAPI 3.0 schema as JSON Schema: `nullable: true` becomes a type that takes null."""
    if isinstance(schema, dict):
        schema = {key: _nullable_as_types(value) for key, value in schema.items()}
        if schema.pop("nullable", False) and "type" in schema:
            schema["type"] = [schema["type"], "null"]
    elif isinstance(schema, list):
        schema = [_nullable_as_types(value) for value in schema]
    return schema


PERSON = {"kind": "individual", "person_name": "王丽"}
ENTERPRISE = {"enterprise_name": "黑河市远东商贸有限公司"}


@pytest.mark.parametrize("given, valid", [
    (PERSON, True),
    ({**PERSON, "external_user_id": "board-20431"}, True),
    ({**PERSON, "contact_person": ""}, True),
    ({**PERSON, "credit_code": ""}, False),
    (ENTERPRISE, True),
    ({**ENTERPRISE, "kind": "enterprise", "person_name": ""}, True),
    ({"kind": "individual"}, False),
    ({"kind": "individual", "person_name": None}, False),
    ({"kind": "individual", "person_name": ""}, False),
    ({**PERSON, "enterprise_name": "黑河市远东商贸有限公司"}, False),
    ({**PERSON, "contact_person": "王丽"}, False),
    ({"enterprise_name": None}, False),
    ({"kind": "enterprise"}, False),
    ({**ENTERPRISE, "person_name": "王丽"}, False),
    ({**ENTERPRISE, "external_user_id": "board-20431"}, False),
])
def test_the_filers_kinds_are_published_as_filing_checks_them(schemas, filer, given, valid):
    published = jsonschema_rs.Draft4Validator(_nullable_as_types(schemas["Filer"]))
    reply = filer.anonymous.post("/api/v1/cases", json={**filer.submission(), "filer": given})

    assert published.is_valid(given) is valid
    assert reply.status_code == (201 if valid else 422), reply.json
