"""schemathesis hooks (SCHEMATHESIS_HOOKS=tests.fuzz.hooks): how to make the values of the
formats the OpenAPI document names but JSON Schema cannot say, from the domain's own rules."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta, timezone

import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode

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
# say). run.py names the caller in CALLER_VARIABLE; a valid filing generated for someone else is
# made the one this caller would send, so that filings succeed and the stateful phase has cases
# to follow its links from. Only data generated as valid is touched: invalid data stays invalid.
_FILER_CHANNEL = {"hotline": "web", "window": "api", "letter": "web", "email": "api"}
_STAFF_CHANNEL = {"web": "hotline", "api": "window"}


@schemathesis.hook("map_case").apply_to(path="/api/v1/cases", method="POST")
def filing_as_the_caller(context: schemathesis.HookContext, case: schemathesis.Case):
    meta = case.meta
    body = case.body
    if meta is None or meta.generation.mode is not GenerationMode.POSITIVE:
        return case
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


# Filing with an Idempotency-Key already used for a different submission is refused with 422
# `idempotency_key_reused` (as the IETF Idempotency-Key draft says), a rule between two requests
# that a schema cannot say. Only that refusal of a valid filing is let through; any other 422 to
# a filing generated as valid for its caller is a failure (the document promised too much).
REUSED_KEY = "idempotency_key_reused"


@schemathesis.hook("filter_failure").apply_to(path="/api/v1/cases", method="POST")
def keep_all_but_a_reused_key(context, failure, case, response) -> bool:
    if failure.code != "ST202" or response.status_code != 422:
        return True
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return True
    return error != REUSED_KEY
