"""Department scorecards from their projection: figures, the cases behind each, and CSV."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from flask import url_for
from marshmallow import RAISE

from complaints.domain.values import Role
from complaints.readmodels.scorecards import Scorecard
from complaints.readmodels.scorecards.figures import CONVENTIONS, RATES, TIMES
from complaints.web.api.error_responses import documents_errors
from complaints.web.api.parsing import ApiBlueprint
from complaints.web.api.schemas.scorecards import (
    CasesBehindArgsSchema,
    CasesBehindSchema,
    PeriodArgsSchema,
    ScorecardReportSchema,
)
from complaints.web.downloads import csv_response
from complaints.web.identity import current_principal, require_role
from complaints.web.runtime import scorecards

blp = ApiBlueprint(
    "scorecards",
    __name__,
    url_prefix="/api/v1",
    description="Department scorecards over the cases received in a period, from a projection "
    "that says how far behind the event store it is (`lag`). Each figure links to the cases "
    "behind it. " + CONVENTIONS,
)


@blp.route("/scorecards", methods=["GET"])
@blp.arguments(PeriodArgsSchema, location="query", arg_name="period", unknown=RAISE)
@blp.response(200, ScorecardReportSchema)
@blp.needs_token
@documents_errors(blp, 401, 403, 422, 503)
def department_scorecards(period):
    """Department scorecards for a period

    Roles: supervisor and auditor. The cases received (filed) from `from` to `to`, both
    days included, in Asia/Shanghai: each department's figures (only `department`'s when
    given) and the total over every case, assigned or not. Each figure says where to list
    the cases behind it (`cases`); a rate names its numerator and denominator.
    """
    report = scorecards().scorecard(*_days(period), period.get("department"))
    return {
        **_echo(period),
        "departments": [_card(card, period) for card in report.departments],
        "total": _card(report.total, period),
        "lag": report.lag,
    }


@blp.route("/scorecards.csv", methods=["GET"])
@blp.arguments(PeriodArgsSchema, location="query", arg_name="period", unknown=RAISE)
@blp.response(200, {"type": "string"}, content_type="text/csv",
              description="One row per department, then the total.")
@blp.needs_token
@documents_errors(blp, 401, 403, 422, 503)
def scorecards_csv(period):
    """Department scorecards as CSV

    Roles: supervisor and auditor. The same figures as `GET /scorecards`, one row per
    department and a last row `total`; the header row names each figure by its code, a time
    with its unit in brackets. Rates are fractions, empty when their denominator is 0. The
    read model's lag is in the `Huiyin-Lag-Tracked`, `-Head` and `-Behind` headers.
    """
    report = scorecards().scorecard(*_days(period), period.get("department"))
    return csv_response(report, period["period_from"], period["period_to"])


@blp.route("/scorecards/cases", methods=["GET"])
@blp.arguments(CasesBehindArgsSchema, location="query", arg_name="query", unknown=RAISE)
@blp.response(200, CasesBehindSchema)
@blp.needs_token
@documents_errors(blp, 401, 403, 422, 503)
def cases_behind(query):
    """The cases behind a scorecard figure

    Roles: supervisor and auditor. One item per thing the figure counts (a case, with the
    round or stage it counts for), in filing order: as many as a count says (`total`); for
    a rate, those of its numerator; for a time, the replies it is computed from. Without
    `department`, the total's. Paged by `limit` and `offset`.
    """
    read_model = scorecards()
    lag = read_model.lag()
    total, entries = read_model.cases_behind_page(
        query["figure"], *_days(query), query.get("department"),
        offset=query["offset"], limit=query["limit"],
    )
    return {
        **_echo(query),
        "figure": query["figure"],
        "total": total,
        "limit": query["limit"],
        "offset": query["offset"],
        "items": entries,
        "lag": lag,
    }


@blp.before_request
def _only_supervisors_and_auditors() -> None:
    """Before the query is read, so a caller who may not read scorecards learns nothing more."""
    require_role(current_principal(), Role.SUPERVISOR, Role.AUDITOR)


def _days(period: dict[str, Any]) -> tuple[date, date]:
    """The period as [first day, day after the last): `to` is included as a whole day."""
    return period["period_from"], period["period_to"] + timedelta(days=1)


def _echo(period: dict[str, Any]) -> dict[str, Any]:
    return {
        "period_from": period["period_from"],
        "period_to": period["period_to"],
        "department": period.get("department"),
    }


def _card(card: Scorecard, period: dict[str, Any]) -> dict[str, Any]:
    query = {"from": period["period_from"].isoformat(), "to": period["period_to"].isoformat()}
    if card.department:
        query["department"] = card.department
    # One URL built per card, each figure's named after it: building ~80 URLs a card through
    # the URL map was most of a scorecard's time.
    cases = url_for("scorecards.cases_behind", **query)
    figures = {}
    for code in card.figures:
        figure: dict[str, Any] = {"value": card.figures[code],
                                  "cases": f"{cases}&figure={quote(code)}"}
        if code in RATES:
            numerator, denominator = RATES[code]
            figure.update(numerator=list(numerator), denominator=denominator)
        elif code in TIMES:
            figure["unit"] = TIMES[code]
        figures[code] = figure
    return {"department": card.department, "figures": figures}

