"""The supervisor's dashboard: the scorecards as charts, each beside its table, and the cases
behind every number.

The tables are the page: they work without JavaScript and are what a screen reader reads.
static/dashboard.js draws a chart beside each from the same numbers, given to it as JSON.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _

from complaints.domain.values import Role, Status
from complaints.intelligence.hot import concentration
from complaints.readmodels.case_index import MAX_OFFSET
from complaints.readmodels.scorecards import LONGEST_PERIOD_YEARS
from complaints.web.api.hot_issues import finder
from complaints.web.api.schemas.hot_issues import LONGEST_PERIOD_DAYS as LONGEST_HOT_DAYS
from complaints.web.downloads import csv_response
from complaints.web.pages.dashboard.forms import Period, PeriodForm, quick_periods
from complaints.web.pages.dashboard.panels import Panels, listed
from complaints.web.pages.dashboard.words import figure_name, state_name, vocabulary
from complaints.web.pages.sessions import staff_required
from complaints.web.runtime import runtime, scorecards
from shared.locale import CITY_TIME

blp = Blueprint("dashboard", __name__, url_prefix="/staff/dashboard")
blp.context_processor(vocabulary)

READERS = (Role.SUPERVISOR, Role.AUDITOR)
CASES_PER_PAGE = 100
FORM_PROBLEM = 422


@blp.route("", methods=["GET"])
@staff_required(*READERS)
def overview():
    form, period = _chosen_period()
    if period is None:
        return _picker_with_problems(form)
    read_model = scorecards()
    report = read_model.scorecard(period.first, period.end, period.department)
    panels = Panels(period, report, read_model.weekly(period.first, period.end,
                                                      period.department), _by_state(period))
    return render_template(
        "dashboard/overview.html",
        form=form,
        quick=quick_periods(_today(), period.department),
        period=period,
        panels=panels,
        behind=max(report.lag.behind, runtime().case_index.lag().behind),
        csv_url=url_for(".scorecards_csv", **period.query()),
        longest_years=LONGEST_PERIOD_YEARS,
    )


@blp.route("/scorecards.csv", methods=["GET"])
@staff_required(*READERS)
def scorecards_csv():
    """The API's CSV (one writer for both) for a reader signed in to the pages."""
    form, period = _chosen_period()
    if period is None:
        return _picker_with_problems(form)
    report = scorecards().scorecard(period.first, period.end, period.department)
    return csv_response(report, period.first, period.last)


@blp.route("/cases", methods=["GET"])
@staff_required(*READERS)
def cases():
    """The cases behind one number: a scorecard figure, or a state in the case index."""
    form, period = _chosen_period()
    if period is None:
        return _picker_with_problems(form)
    figure, state = request.args.get("figure"), request.args.get("state")
    offset = request.args.get("offset", 0, type=int)
    if (figure in scorecards().codes) == (state in set(Status)) or not 0 <= offset <= MAX_OFFSET:
        abort(404)
    if figure:
        read_model = scorecards()
        lag = read_model.lag()
        total, entries = read_model.cases_behind_page(
            figure, period.first, period.end, period.department,
            offset=offset, limit=CASES_PER_PAGE,
        )
        title = figure_name(figure)
        items = [vars(entry) for entry in entries]
    else:
        found = runtime().case_index.search(
            status=state, filed_from=period.first, filed_to=period.last,
            department=period.department, limit=CASES_PER_PAGE, offset=offset,
        )
        lag, total, items, title = found.lag, found.total, found.items, state_name(state)
        if not found.total_exact:  # the page's count stops at a bound; this number may not
            total = _by_state(period)[state]
    steps = {"previous": offset - CASES_PER_PAGE if offset > 0 else None,
             "next": offset + CASES_PER_PAGE if offset + CASES_PER_PAGE < total else None}
    return render_template(
        "dashboard/cases.html",
        title=title,
        period=period,
        total=total,
        first_shown=offset + 1,
        items=[listed(item) for item in items],
        per_page=CASES_PER_PAGE,
        steps={name: url_for(".cases", **period.query(figure=figure, state=state, offset=at))
               for name, at in steps.items() if at is not None},
        behind=lag.behind,
        back=url_for(".overview", **period.query()),
    )


@blp.route("/hot-issues", methods=["GET"])
@staff_required(*READERS)
def hot_issues():
    """The period's hot issues, each with its words, places, departments and cases, and the
    concentration of the period's complaints by category and month."""
    form, period = _chosen_period()
    if period is None:
        return _picker_with_problems(form)
    if (period.last - period.first).days + 1 > LONGEST_HOT_DAYS:
        form.period_to.errors = [_("Hot issues are found in at most %(days)d days: choose a "
                                   "shorter period", days=LONGEST_HOT_DAYS)]
        return _picker_with_problems(form)
    issues, rows = finder().find(period.first, period.last, period.department)
    table = concentration(rows)
    months = sorted({month for counts in table.values() for month in counts})
    return render_template(
        "dashboard/hot_issues.html",
        period=period,
        issues=issues,
        cases=len(rows),
        table=table,
        months=months,
        behind=runtime().case_index.lag().behind,
        back=url_for(".overview", **period.query()),
    )


def _chosen_period() -> tuple[PeriodForm, Period | None]:
    form = PeriodForm.for_request(request.args, _today())
    if not form.validate():
        return form, None
    department = form.department.data or None
    return form, Period(form.period_from.data, form.period_to.data, department)


def _picker_with_problems(form: PeriodForm):
    body = render_template("dashboard/overview.html", form=form,
                           quick=quick_periods(_today(), None), panels=None)
    return body, FORM_PROBLEM


def _today() -> date:
    return datetime.now(CITY_TIME).date()


def _by_state(period: Period) -> dict[str, int]:
    """The cases received in the period (led or co-handled by the department, when one is
    chosen) by the state each is in now, counted by the case index."""
    return runtime().case_index.status_counts(
        filed_from=period.first, filed_to=period.last, department=period.department
    )
