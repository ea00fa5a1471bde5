"""schemathesis hooks (SCHEMATHESIS_HOOKS=tests.fuzz.hooks): how to make the values of the
formats the OpenAPI document names but JSON Schema cannot say, from the domain's own rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import schemathesis
from hypothesis import strategies as st

from complaints.domain.credit_code import ALPHABET, check_character
from complaints.web.api.schemas.fields import CREDIT_CODE_FORMAT, FIRST_YEAR, LAST_YEAR


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
