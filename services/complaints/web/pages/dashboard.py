"""The supervisor's dashboard: the scorecards as charts, each beside its table, and the cases
behind every number.

The tables are the page: they work without JavaScript and are what a screen reader reads.
static/dashboard.js draws a chart beside each from the same numbers, given to it as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from babel.dates import format_interval, format_skeleton
from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import format_date, format_number, format_percent, get_locale
from flask_babel import gettext as _

from complaints.application.deadlines import CITY_TIME
from complaints.domain.values import Role, Stage, Status
from complaints.readmodels.scorecard_figures import FIGURES
from complaints.readmodels.scorecards import ScorecardReport, WeekFigures
from complaints.web.downloads import csv_response
from complaints.web.pages.dashboard_form import PeriodForm, quick_periods
from complaints.web.pages.dashboard_labels import figure_name, stage_name, state_name
from complaints.web.pages.labels import department_name
from complaints.web.pages.sessions import staff_required
from complaints.web.runtime import runtime, scorecards

blp = Blueprint("dashboard", __name__, url_prefix="/staff/dashboard")

READERS = (Role.SUPERVISOR, Role.AUDITOR)
CASES_PER_PAGE = 100
STAGES = [stage.value for stage in Stage]
BREACH_KINDS = ("breaches", "escalations")
FORM_PROBLEM = 422


@dataclass(frozen=True)
class Period:
    """The days chosen, both included, and the department (None: every one)."""

    first: date
    last: date
    department: str | None

    @property
    def end(self) -> date:
        """The day after the last: the read models take a period as [first, end)."""
        return self.last + timedelta(days=1)

    def query(self, **more: Any) -> dict[str, Any]:
        """The period as a query string's parameters, with `more` (None values left out)."""
        query = {"from": self.first.isoformat(), "to": self.last.isoformat(),
                 "department": self.department, **more}
        return {key: value for key, value in query.items() if value is not None}

    def words(self) -> str:
        return _("%(first)s to %(last)s", first=format_date(self.first, "long"),
                 last=format_date(self.last, "long"))


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
        **_words(),
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
    if (figure in FIGURES) == (state in set(Status)) or offset < 0:
        abort(404)
    if figure:
        read_model = scorecards()
        lag = read_model.lag()
        entries = read_model.cases_behind(figure, period.first, period.end, period.department)
        total, title = len(entries), figure_name(figure)
        items = [vars(entry) for entry in entries[offset : offset + CASES_PER_PAGE]]
    else:
        found = runtime().case_index.search(
            status=state, filed_from=period.first, filed_to=period.last,
            department=period.department, limit=CASES_PER_PAGE, offset=offset,
        )
        lag, total, items, title = found.lag, found.total, found.items, state_name(state)
    steps = {"previous": offset - CASES_PER_PAGE if offset > 0 else None,
             "next": offset + CASES_PER_PAGE if offset + CASES_PER_PAGE < total else None}
    return render_template(
        "dashboard/cases.html",
        title=title,
        period=period,
        total=total,
        first_shown=offset + 1,
        items=[_listed(item) for item in items],
        per_page=CASES_PER_PAGE,
        steps={name: url_for(".cases", **period.query(figure=figure, state=state, offset=at))
               for name, at in steps.items() if at is not None},
        behind=lag.behind,
        back=url_for(".overview", **period.query()),
        **_words(),
    )


def case_url(reference: str) -> str:
    """The staff page of one case (answered by the case page's own blueprint)."""
    return f"/staff/cases/{quote(reference)}"


def _listed(item: dict[str, Any]) -> dict[str, str]:
    """One case behind a number: its reference, its page, and the round or stage it counts for."""
    round_ = _("round %(number)d", number=item["round"]) if item.get("round") else ""
    stage = _("stage: %(stage)s", stage=stage_name(item["stage"])) if item.get("stage") else ""
    counted_for = _("%(round)s, %(stage)s", round=round_, stage=stage) if round_ and stage \
        else round_ or stage
    return {"reference": item["reference"], "url": case_url(item["reference"]),
            "counted_for": counted_for}


def shown(value: int | float | None, percent: bool = False) -> str:
    """A number as the tables show it, in the reader's locale; a dash for none."""
    if value is None:
        return "—"
    return format_percent(value) if percent else format_number(value)


def lag_text(behind: int) -> str:
    # No plural forms: the catalogue check reads singular messages only.
    return _("Recorded changes not yet counted in these figures: %(num)d. They will be within "
             "moments.", num=behind)


def _words() -> dict[str, Any]:
    """What the dashboard's templates use to put numbers and names into words."""
    return {"shown": shown, "lag_text": lag_text, "figure_name": figure_name,
            "stage_name": stage_name, "stages": STAGES}


def _chosen_period() -> tuple[PeriodForm, Period | None]:
    form = PeriodForm.for_request(request.args, _today())
    if not form.validate():
        return form, None
    department = form.department.data or None
    return form, Period(form.period_from.data, form.period_to.data, department)


def _picker_with_problems(form: PeriodForm):
    body = render_template("dashboard/overview.html", form=form,
                           quick=quick_periods(_today(), None), panels=None, **_words())
    return body, FORM_PROBLEM


def _today() -> date:
    return datetime.now(CITY_TIME).date()


def _by_state(period: Period) -> dict[str, int]:
    """The cases received in the period (led or co-handled by the department, when one is
    chosen) by the state each is in now, counted by the case index."""
    index = runtime().case_index
    return {
        status.value: index.search(status=status.value, filed_from=period.first,
                                   filed_to=period.last, department=period.department,
                                   limit=1).total
        for status in Status
    }


class Panels:
    """The five panels' numbers, their links, and each chart's data, from one reading."""

    def __init__(self, period: Period, report: ScorecardReport, weeks: list[WeekFigures],
                 states: dict[str, int]) -> None:
        self.period = period
        self.report = report
        self.weeks = weeks
        self.states = states
        # Each department's card, then the total's (department None) when several are shown.
        self.cards = [*report.departments, *([] if period.department else [report.total])]

    def link(self, figure: str, department: str | None) -> str:
        query = {**self.period.query(figure=figure), "department": department}
        return url_for(".cases", **{key: value for key, value in query.items() if value})

    def state_link(self, state: str) -> str:
        return url_for(".cases", **self.period.query(state=state))

    def week_link(self, week: WeekFigures, figure: str) -> str:
        first, last = _days_of(week)
        return url_for(".cases", **Period(first, last, self.period.department).query(
            figure=figure))

    @staticmethod
    def week_name(week: WeekFigures) -> str:
        return _("Week %(week)d of %(year)d", week=week.week, year=week.year)

    @staticmethod
    def week_days(week: WeekFigures) -> str:
        return format_interval(*_days_of(week), "yMMMd", locale=get_locale())

    def charts(self) -> dict[str, dict[str, Any]]:
        cards = self.report.departments
        names = [department_name(card.department) for card in cards]
        rates = {code: [card.figures[code] for card in cards] for code in (
            "accepted_on_time_rate", "replied_on_time_rate", "satisfaction_rate")}
        return {
            "states": chart("bar", [state_name(state) for state in self.states], [
                series("cases", _("Cases"), list(self.states.values())),
            ], _("Cases by state")),
            "on-time": chart("percent", names, [
                series("accept", _("Accepted or referred on time"),
                       rates["accepted_on_time_rate"]),
                series("reply", _("Replied on time"), rates["replied_on_time_rate"]),
            ], _("On-time rate by department")),
            "satisfaction": chart("percent", names, [
                series("satisfied", _("Satisfied"), rates["satisfaction_rate"]),
            ], _("Satisfaction by department"), notes=[
                _("valid ratings: %(num)s", num=shown(card.figures["ratings"])) for card in cards
            ]),
            "weekly": chart("line", [
                format_skeleton("MMMd", _days_of(week)[0], locale=get_locale())
                for week in self.weeks
            ], [
                series("received", _("Received"), [w.figures["received"] for w in self.weeks]),
                series("replied", _("Replied"), [w.figures["replied_cases"] for w in self.weeks]),
            ], _("Cases received each week, and how many of them have been replied")),
            # Two bars per department, breaches and escalations, each stacked by stage.
            "breaches": chart("stacked", names, [
                series(f"{kind}-{stage}", figure_name(f"{kind}_{stage}"),
                       [card.figures[f"{kind}_{stage}"] for card in cards], stack=kind,
                       legend=_("Stage: %(stage)s", stage=stage_name(stage)))
                for kind in BREACH_KINDS for stage in STAGES
            ], _("Breaches and escalations by department and stage"),
                stacks={kind: figure_name(kind) for kind in BREACH_KINDS}),
        }


def series(key: str, label: str, values: list, **more: Any) -> dict[str, Any]:
    return {"key": key, "label": label, "values": values, **more}


def chart(
    kind: str, labels: list[str], all_series: list[dict], title: str, **more: Any
) -> dict[str, Any]:
    """What dashboard.js draws, and the sentence a screen reader hears for the picture."""
    percent = kind == "percent"
    notes = more.get("notes") or [None] * len(labels)
    parts = []
    for index, (label, note) in enumerate(zip(labels, notes, strict=True)):
        values = [
            shown(each["values"][index], percent) if len(all_series) == 1
            else f"{each['label']} {shown(each['values'][index], percent)}"
            for each in all_series if kind != "stacked" or each["values"][index]
        ]
        named = f"{label} ({note})" if note else label
        parts.append(f"{named}: {', '.join(values) or shown(0)}")
    if parts:
        summary = _("%(title)s. %(numbers)s.", title=title, numbers="; ".join(parts))
    else:
        summary = _("%(title)s: nothing to show for this period.", title=title)
    return {"kind": kind, "labels": labels, "series": all_series, "summary": summary, **more}


def _days_of(week: WeekFigures) -> tuple[date, date]:
    """The first and the last day of a (possibly cut) week, on the city's calendar."""
    last_moment = week.ends.astimezone(CITY_TIME) - timedelta(microseconds=1)
    return week.starts.astimezone(CITY_TIME).date(), last_moment.date()
