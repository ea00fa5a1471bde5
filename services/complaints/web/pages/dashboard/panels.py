"""The dashboard's numbers as the page shows them: the five panels, with each chart's data and
the sentence a screen reader hears for it, and the cases behind a number."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from babel.dates import format_interval, format_skeleton
from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from complaints.readmodels.scorecards import ScorecardReport, WeekFigures
from complaints.web.pages.dashboard.forms import Period
from complaints.web.pages.dashboard.words import (
    STAGES,
    figure_name,
    shown,
    stage_name,
    state_name,
)
from complaints.web.pages.labels import department_name
from shared.locale import CITY_TIME

BREACH_KINDS = ("breaches", "escalations")


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
        # The cases page's address, once: the page links every number to it, hundreds of
        # links that the URL map would each build anew.
        self._cases = url_for(".cases")

    @property
    def spans_years(self) -> bool:
        return self.period.first.year != self.period.last.year

    def link(self, figure: str, department: str | None) -> str:
        query = {**self.period.query(figure=figure), "department": department}
        return self._cases_of({key: value for key, value in query.items() if value})

    def state_link(self, state: str) -> str:
        return self._cases_of(self.period.query(state=state))

    def week_link(self, week: WeekFigures, figure: str) -> str:
        first, last = _days_of(week)
        return self._cases_of(Period(first, last, self.period.department).query(figure=figure))

    def _cases_of(self, query: dict[str, Any]) -> str:
        return f"{self._cases}?{urlencode(query)}"

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
                # With the year when the period spans years, so that no two weeks read alike.
                format_skeleton("yMMMd" if self.spans_years else "MMMd", _days_of(week)[0],
                                locale=get_locale())
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


def case_url(reference: str) -> str:
    """The staff page of one case (answered by the case page's own blueprint)."""
    return f"/staff/cases/{quote(reference)}"


def listed(item: dict[str, Any]) -> dict[str, str]:
    """One case behind a number: its reference, its page, and the round or stage it counts for."""
    round_ = _("round %(number)d", number=item["round"]) if item.get("round") else ""
    stage = _("stage: %(stage)s", stage=stage_name(item["stage"])) if item.get("stage") else ""
    counted_for = _("%(round)s, %(stage)s", round=round_, stage=stage) if round_ and stage \
        else round_ or stage
    return {"reference": item["reference"], "url": case_url(item["reference"]),
            "counted_for": counted_for}
