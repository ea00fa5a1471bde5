"""Bad input of every kind gets its status and the one error shape, and writes nothing."""

from __future__ import annotations

import pytest

from complaints.readmodels.case_index import MAX_OFFSET


@pytest.fixture
def intake(staff):
    return staff.login("intake")


@pytest.fixture
def case(filer, intake):
    filed = filer.file_case()
    intake.act(filed.reference, "accept")
    return filed


@pytest.fixture
def unchanged(event_store):
    """Asserts, after the test's requests, that the store's head did not move."""
    head = event_store.head()
    yield
    assert event_store.head() == head


def test_malformed_json_is_400(client, intake, case, assert_error, unchanged):
    for reply in (
        client.post("/api/v1/cases", data='{"channel": "api",', content_type="application/json"),
        intake.post(
            f"/api/v1/cases/{case.reference}/assign",
            data="{not json}",
            content_type="application/json",
        ),
    ):
        assert_error(reply, 400, "malformed_json")


def test_json_nested_past_any_sense_is_400(client, assert_error, unchanged):
    reply = client.post(
        "/api/v1/cases", data="[" * 20_000 + "]" * 20_000, content_type="application/json"
    )

    assert_error(reply, 400, "malformed_json")


def json_operations(client, reference: str) -> list[str]:
    """The path of every operation of the published document that takes a JSON body."""
    spec = client.get("/openapi.json").json
    return [
        path.replace("{case}", reference)
        for path, item in spec["paths"].items()
        for operation in item.values()
        if isinstance(operation, dict) and "requestBody" in operation
    ]


def test_an_integer_longer_than_python_reads_is_400_on_every_json_endpoint(
    client, intake, case, assert_error, unchanged
):
    """Python refuses to read integers of more than 4,300 digits (a ValueError, not a JSON
    syntax error): the body is malformed for us, whoever sends it."""
    body = '{"x": ' + "9" * 4_301 + "}"
    paths = json_operations(client, case.reference)
    assert len(paths) > 15

    for path in paths:
        for caller in (client, intake.client):
            headers = {} if caller is client else intake.headers()
            reply = caller.post(path, data=body, content_type="application/json",
                                headers=headers)
            if caller is client and reply.status_code == 401:
                continue  # an endpoint that needs a token says so before reading the body
            assert_error(reply, 400, "malformed_json")


def test_text_no_store_can_keep_is_422(client, filer, intake, assert_error, unchanged):
    with_nul = client.post("/api/v1/cases", json=filer.submission(subject="退税\x00"))
    lone_surrogate = client.post(
        "/api/v1/cases",
        data=r'{"channel": "api", "subject": "\ud800"}',
        content_type="application/json",
    )
    nul_in_query = intake.get("/api/v1/cases", query_string={"credit_code": "9135\x00"})

    for reply in (with_nul, lone_surrogate, nul_in_query):
        assert_error(reply, 422, "invalid_input")


def test_a_body_that_is_not_json_is_415(client, filer, intake, case, assert_error, unchanged):
    form = client.post("/api/v1/cases", data={"channel": "api", "subject": "x"})
    text = intake.post(
        f"/api/v1/cases/{case.reference}/notes", data="a note", content_type="text/plain"
    )

    assert_error(form, 415, "unsupported_media_type")
    assert_error(text, 415, "unsupported_media_type")


def test_a_body_over_the_limit_is_413(client, filer, settings, assert_error, unchanged):
    huge = filer.submission(description="长" * settings.max_request_bytes)

    reply = client.post("/api/v1/cases", json=huge)

    assert_error(reply, 413, "request_too_large")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"priority": "high"}, "priority"),
        ({"filer": {"enterprise_name": "某公司", "shoe_size": 42}}, "filer"),
        ({"channel": "fax"}, "channel"),
        ({"category": "weather"}, "category"),
        ({"subject": ""}, "subject"),
        ({"subject": "长" * 201}, "subject"),
        ({"description": "x" * 10_001}, "description"),
        ({"filer": {"enterprise_name": "某公司", "language": "fr"}}, "filer"),
        ({"filer": {"enterprise_name": "某公司", "email": "not-an-email"}}, "filer"),
        ({"filer": {"enterprise_name": "某公司", "phone": "call me"}}, "filer"),
        ({"occurred_at": "2026-03-02T09:15:00"}, "occurred_at"),
        ({"occurred_at": "0001-01-01T00:00:00+14:00"}, "occurred_at"),
        ({"happened_on": "yesterday"}, "happened_on"),
        ({"confidential": "perhaps"}, "confidential"),
        # The document says boolean: JSON's true and false, not what marshmallow would read.
        ({"anonymous": 0}, "anonymous"),
        ({"anonymous": 1}, "anonymous"),
        ({"confidential": "true"}, "confidential"),
        ({"confidential": "yes"}, "confidential"),
    ],
)
def test_an_invalid_filing_is_422_naming_the_field(
    client, filer, assert_error, unchanged, change, field
):
    reply = client.post("/api/v1/cases", json={**filer.submission(), **change})

    body = assert_error(reply, 422, "invalid_input")
    assert field in body["details"]["fields"]


def test_a_body_that_is_not_an_object_is_422(client, assert_error, unchanged):
    reply = client.post("/api/v1/cases", json=["channel", "api"])

    assert_error(reply, 422, "invalid_input")


def test_a_bad_credit_code_is_422_and_says_what_is_wrong(client, filer, assert_error, unchanged):
    wrong_check = "91350100M000100Y44"

    reply = client.post("/api/v1/cases", json=filer.submission(filer={"credit_code": wrong_check}))

    body = assert_error(reply, 422, "invalid_input")
    (message,) = body["details"]["fields"]["filer"]["credit_code"]
    assert "check character" in message


@pytest.mark.parametrize(
    ("command", "body", "field"),
    [
        ("assign", {"lead": "NOWHERE"}, "lead"),
        ("assign", {"lead": "TAX", "urgent": True}, "urgent"),
        ("notes", {"text": "x", "visibility": "secret"}, "visibility"),
        ("notes", {"text": "x", "occurred_at": "2026-01-01 09:00"}, "occurred_at"),
        ("information-requests", {"items": []}, "items"),
        ("refer", {"reason": "not ours"}, "where_to"),
        ("follow-up", {"method": "phone", "satisfied": 1}, "satisfied"),
        ("follow-up", {"method": "phone", "satisfied": "false"}, "satisfied"),
    ],
)
def test_an_invalid_command_body_is_422(
    intake, case, event_store, assert_error, unchanged, command, body, field
):
    version = event_store.version_of(case)

    reply = intake.act(case.reference, command, body)

    result = assert_error(reply, 422, "invalid_input")
    assert field in result["details"]["fields"]
    assert event_store.version_of(case) == version


def test_rating_outside_one_to_five_is_422(filer, staff, assert_error, event_store):
    intake, handler = staff.login("intake"), staff.login("handler-TAX")
    case = filer.file_case()
    intake.act(case.reference, "accept")
    intake.act(case.reference, "assign")
    handler.act(case.reference, "responses", {"outcome": "resolved", "reply": "已办结"})
    owner = filer.sign_in(case)
    head = event_store.head()

    for score in (0, 6, "5", 2.5):
        body = assert_error(owner.act(case.reference, "ratings", {"score": score}), 422)
        assert "score" in body["details"]["fields"]
    assert event_store.head() == head


def test_a_second_rating_in_a_round_is_409_one_rating_per_round(
    filer, staff, assert_error, event_store
):
    intake, handler = staff.login("intake"), staff.login("handler-TAX")
    case = filer.file_case()
    intake.act(case.reference, "accept")
    intake.act(case.reference, "assign")
    handler.act(case.reference, "responses", {"outcome": "resolved", "reply": "已办结"})
    owner = filer.sign_in(case)
    assert owner.act(case.reference, "ratings", {"score": 4}).status_code == 200
    version = event_store.version_of(case)

    body = assert_error(owner.act(case.reference, "ratings", {"score": 1}), 409, "rule_violated")

    assert body["details"]["rule"] == "one_rating_per_round"
    assert event_store.version_of(case) == version


def test_a_command_that_does_not_fit_the_state_is_409_naming_it(
    intake, case, event_store, assert_error
):
    version = event_store.version_of(case)

    body = assert_error(intake.act(case.reference, "accept"), 409, "invalid_state")

    assert body["details"]["state"] == "accepted"
    assert event_store.version_of(case) == version


def test_assigning_a_case_still_filed_is_409_naming_its_state(
    filer, intake, assert_error, event_store
):
    filed = filer.file_case()  # not accepted: no department proposed yet
    version = event_store.version_of(filed)

    body = assert_error(intake.act(filed.reference, "assign", {}), 409, "invalid_state")

    assert body["details"]["state"] == "filed"
    assert "filed" in body["message"]
    assert event_store.version_of(filed) == version


@pytest.mark.parametrize("days", [16, 116_738, 10**15])
def test_an_extension_past_the_limit_is_409_and_walks_no_calendar(
    filer, staff, days, assert_error, event_store
):
    filed = filer.file_case()
    version = event_store.version_of(filed)
    supervisor = staff.login("supervisor")

    reply = supervisor.act(filed.reference, "deadline/extension",
                           {"stage": "accept", "working_days": days, "reason": "节假日"})

    body = assert_error(reply, 409, "rule_violated")
    assert body["details"]["rule"] == "extension_too_long"
    assert event_store.version_of(filed) == version


def test_a_stale_if_match_is_409_version_conflict(intake, case, event_store, assert_error):
    current = intake.view(case.reference).headers["ETag"]
    intake.act(case.reference, "notes", {"text": "先记一笔"})
    version = event_store.version_of(case)

    stale = intake.act(case.reference, "assign", headers={"If-Match": current})
    garbled = intake.act(case.reference, "assign", headers={"If-Match": "yesterday"})

    body = assert_error(stale, 409, "version_conflict")
    assert body["details"]["current_version"] == version
    assert_error(garbled, 422, "invalid_input")
    assert event_store.version_of(case) == version
    fresh = intake.view(case.reference).headers["ETag"]
    assert intake.act(case.reference, "notes", {"text": "任意"}, headers={"If-Match": "*"})
    assert intake.act(case.reference, "assign", headers={"If-Match": fresh}).status_code == 409
    fresh = intake.view(case.reference).headers["ETag"]
    assert intake.act(case.reference, "assign", headers={"If-Match": fresh}).status_code == 200


@pytest.mark.parametrize("number", ["²", "9" * 4_301, "١٢"])
def test_a_version_or_position_that_is_no_plain_number_is_422(
    intake, case, number, assert_error, unchanged
):
    """str.isdigit() says yes to superscripts and other scripts' digits, which int() refuses;
    and int() refuses more than 4,300 digits."""
    tagged = intake.act(case.reference, "notes", {"text": "x"}, headers={"If-Match": number})
    quoted = intake.act(case.reference, "notes", {"text": "x"},
                        headers={"If-Match": f'"{number}"'})

    assert_error(tagged, 422, "invalid_input")
    assert_error(quoted, 422, "invalid_input")
    assert_error(intake.history(case.reference, as_of=number), 422, "invalid_input")


# A case id no case has (a fixed one: parallel test workers must collect the same tests).
UNKNOWN_CASE_ID = "9b2e7c1a-5d3f-4e8b-a6c0-2f1d8e4b7a93"


@pytest.mark.parametrize("name", ["HY-2026-999999", UNKNOWN_CASE_ID, "no-such-case"])
def test_an_unknown_case_is_404_naming_it_as_it_was_typed(intake, assert_error, unchanged,
                                                          name):
    for reply in (intake.view(name), intake.act(name, "accept"), intake.history(name),
                  intake.act(name, "notes", {"text": "x"})):
        body = assert_error(reply, 404, "not_found")
        assert body["message"] == f"no case {name}"
        assert body["details"] == {"case": name}


def test_unknown_routes_and_methods_answer_in_the_error_shape(client, assert_error):
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")
    not_allowed = client.delete("/api/v1/cases")
    assert_error(not_allowed, 405, "method_not_allowed")
    assert "POST" in not_allowed.headers["Allow"]
    assert_error(client.get("/api/v1/queues/NOWHERE"), 401)


def test_bad_query_parameters_are_422(staff, case, assert_error):
    supervisor = staff.login("supervisor")

    assert_error(supervisor.history(case.reference, as_of="last tuesday"), 422, "invalid_input")
    assert_error(supervisor.history(case.reference, as_of="2026-01-01T10:00"), 422)
    assert_error(supervisor.history(case.reference, as_of="0"), 422)
    assert_error(supervisor.get("/api/v1/cases?limit=201"), 422, "invalid_input")
    assert_error(supervisor.get("/api/v1/cases?offset=-1"), 422, "invalid_input")
    assert_error(supervisor.get(f"/api/v1/cases?offset={2**64}"), 422, "invalid_input")
    assert_error(supervisor.get("/api/v1/cases?stauts=filed"), 422, "invalid_input")
    assert_error(supervisor.get("/api/v1/queues/TAX?status=lost"), 422, "invalid_input")
    assert_error(supervisor.get("/api/v1/queues/NOWHERE"), 404, "not_found")


@pytest.mark.parametrize("offset", [MAX_OFFSET + 1, 2**63, 2**64])
def test_a_page_deeper_than_any_reader_goes_is_422_on_every_list(
    staff, case, offset, assert_error
):
    """SQLite's and PostgreSQL's OFFSET are 64-bit: a larger one must never reach them."""
    supervisor = staff.login("supervisor")
    period = "from=2026-01-01&to=2026-12-31"

    for path in (
        f"/api/v1/cases?offset={offset}",
        f"/api/v1/cases?status=filed&offset={offset}",
        f"/api/v1/queues/TAX?offset={offset}",
        f"/api/v1/scorecards/cases?figure=received&{period}&offset={offset}",
    ):
        body = assert_error(supervisor.get(path), 422, "invalid_input")
        assert "offset" in body["details"]["fields"], path
    assert supervisor.get(f"/api/v1/cases?offset={MAX_OFFSET}").status_code == 200


def test_an_unexpected_error_is_500_in_the_shape_with_a_request_id(app, client, assert_error):
    def fail():
        raise RuntimeError("a bug")

    app.add_url_rule("/api/v1/failing", "failing", fail)

    reply = client.get("/api/v1/failing")

    body = assert_error(reply, 500, "internal_error")
    assert body["details"]["request_id"] == reply.headers["X-Request-Id"]
    assert "a bug" not in body["message"]
