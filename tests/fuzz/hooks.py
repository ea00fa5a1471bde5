"""schemathesis hooks (SCHEMATHESIS_HOOKS=tests.fuzz.hooks): how to make the values of the
formats the OpenAPI document names but JSON Schema cannot say, from the domain's own rules."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta, timezone

import schemathesis
from hypothesis import strategies as st
from schemathesis.generation.meta import TestPhase

from complaints.domain.credit_code import ALPHABET, check_character
from complaints.web.api.schemas.fields import CREDIT_CODE_FORMAT, FIRST_YEAR, LAST_YEAR
from tests.fuzz.run import CALLER_VARIABLE


def _credit_codes() -> st.SearchStrategy[str]:
    letters = st.text(ALPHABET, min_size=2, max_size=2)
    division = st.text("0123456789", min_size=6, max_size=6)
    rest = st.text(ALPHABET, min_size=9, max_size=9)
    first17 = st.builds(lambda a, b, c: a + b + c, letters, division, rest)
    return first17.map(lambda code: code + check_character(code))


schemathesis.openapi.format(CREDIT_CODE_FORMAT, _credit_codes())


def _times() -> st.SearchStrategy[str]:
    """Times as the document describes them: ISO 8601 with a zone, in the plausible years."""
    zones = st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))])
    # `occurred_at` is "when it happened, if earlier than now": the past, as documented.
    moments = st.datetimes(datetime(FIRST_YEAR, 1, 2), datetime(2025, 12, 30), timezones=zones)
    return moments.map(datetime.isoformat)


def _days() -> st.SearchStrategy[str]:
    return st.dates(date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)).map(date.isoformat)


# The standard formats, within the years the document gives for every time and day.
schemathesis.openapi.format("date-time", _times())
schemathesis.openapi.format("date", _days())


# Filing: which channels a caller may use, and whether they may say when a call took place,
# depends on who is calling (a rule between the token and the body that one document cannot
# say). run.py names the caller in CALLER_VARIABLE; a filing generated for someone else is made
# the one this caller would send, so that filings succeed and the stateful phase has cases to
# follow its links from. Only a channel that is one of the document's is changed, to another of
# them, so data generated as invalid stays invalid (schemathesis checks a changed case again).
_FILER_CHANNEL = {"hotline": "web", "window": "api", "letter": "web", "email": "api"}
_STAFF_CHANNEL = {"web": "hotline", "api": "window"}


@schemathesis.hook("map_case").apply_to(path="/api/v1/cases", method="POST")
def filing_as_the_caller(context: schemathesis.HookContext, case: schemathesis.Case):
    meta = case.meta
    if meta is not None and meta.phase.name is TestPhase.STATEFUL and case.headers:
        # A filing's answer to a retried Idempotency-Key depends on what the server saw before
        # (201, then 200, or 422 for another body), so Hypothesis, replaying a scenario's
        # start, would meet a different answer and end the stateful phase early as "flaky".
        case.headers = {name: value for name, value in case.headers.items()
                        if name.lower() != "idempotency-key"}
    body = case.body
    if not isinstance(body, dict) or not isinstance(body.get("channel"), str):
        return case
    caller = os.environ.get(CALLER_VARIABLE, "")
    if caller == "anonymous":
        channel = _FILER_CHANNEL.get(body["channel"], body["channel"])
        body = {key: value for key, value in body.items() if key != "occurred_at"}
    elif caller in ("supervisor", "intake"):
        channel = _STAFF_CHANNEL.get(body["channel"], body["channel"])
    else:
        return case
    case.body = {**body, "channel": channel}
    return case


# Refusals of valid requests by a rule a schema cannot say, let through one by one; any other
# 422 to a request generated as valid is a failure (the document promised too much):
# - filing with an Idempotency-Key already used for a different submission (422
#   `idempotency_key_reused`, as the IETF Idempotency-Key draft says), a rule between requests;
# - `occurred_at` later than now ("staff only: when it happened, if earlier than now"): the
#   document bounds its years, but "now" moves; schemathesis also reuses times the API
#   answered, such as a deadline's due time, which lie ahead.
REUSED_KEY = "idempotency_key_reused"


@schemathesis.hook("filter_failure")
def keep_all_but_rules_a_schema_cannot_say(context, failure, case, response) -> bool:
    if failure.code != "ST202" or response.status_code != 422:
        return True
    try:
        answer = response.json()
    except ValueError:
        return True
    if not isinstance(answer, dict):
        return True
    if answer.get("error") == REUSED_KEY:
        return context.operation is None or context.operation.path != "/api/v1/cases"
    field = (answer.get("details") or {}).get("field")
    return not (answer.get("error") == "invalid_value" and field == "occurred_at"
                and _in_the_future(case.body))


def _in_the_future(body: object) -> bool:
    if not isinstance(body, dict) or not isinstance(body.get("occurred_at"), str):
        return False
    try:
        moment = datetime.fromisoformat(body["occurred_at"])
    except ValueError:
        return False
    return moment.tzinfo is not None and moment > datetime.now(UTC)
