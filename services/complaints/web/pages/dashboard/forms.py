"""The dashboard's period picker: from and to (days, both included) and a department, and
the period it chooses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField

from complaints.readmodels.scorecards import LONGEST_PERIOD_YEARS, within_longest_period
from complaints.web.api.schemas.fields import FIRST_YEAR, LAST_YEAR
from complaints.web.pages.labels import department_name
from complaints.web.runtime import runtime

DEFAULT_WEEKS = 12
CHOSEN = ("from", "to", "department")


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


class DayField(DateField):
    """A day as <input type=date> sends it (YYYY-MM-DD); an empty one is "not given"."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist and not "".join(valuelist).strip():
            self.data = None
            return
        super().process_formdata(valuelist)


class PeriodForm(FlaskForm):
    class Meta:
        csrf = False  # sent with GET: it only chooses what to read

    period_from = DayField(
        _l("From"), name="from",
        invalid_value_message=_l("Enter the first day as a date, such as 2026-03-01"),
    )
    period_to = DayField(
        _l("To (included)"), name="to",
        invalid_value_message=_l("Enter the last day as a date, such as 2026-03-31"),
    )
    department = SelectField(_l("Department"), validate_choice=False)

    @classmethod
    def for_request(cls, args: Mapping[str, str], today: date) -> PeriodForm:
        """The form as asked for; with nothing asked, the last twelve weeks, every department."""
        if any(name in args for name in CHOSEN):
            form = cls(formdata=args)
        else:
            first, last = default_period(today)
            form = cls(formdata=None,
                       data={"period_from": first, "period_to": last, "department": ""})
        named = sorted(((code, department_name(code)) for code in
                        runtime().services.routing.departments), key=lambda pair: pair[1])
        form.department.choices = [("", _l("All departments")), *named]
        return form

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        first, last = self.period_from, self.period_to
        for day, missing in ((first, _l("Enter the first day of the period")),
                             (last, _l("Enter the last day of the period"))):
            if day.data is None and not day.errors:
                day.errors.append(missing)
            elif day.data is not None and not FIRST_YEAR <= day.data.year <= LAST_YEAR:
                day.errors.append(_l("Choose a day between %(first)d and %(last)d",
                                     first=FIRST_YEAR, last=LAST_YEAR))
        if first.data and last.data and not first.errors and not last.errors:
            if last.data < first.data:
                last.errors.append(_l("The last day cannot be before the first day"))
            elif not within_longest_period(first.data, last.data):
                last.errors.append(_l("Choose a period of at most %(years)d years",
                                      years=LONGEST_PERIOD_YEARS))
        chosen = self.department.data
        if chosen and chosen not in runtime().services.routing.departments:
            self.department.errors = [_l("Choose a department from the list")]
        return not self.errors


def default_period(today: date) -> tuple[date, date]:
    """The last twelve ISO weeks: from the Monday eleven weeks before this one, to today."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(weeks=DEFAULT_WEEKS - 1), today


@dataclass(frozen=True)
class QuickPeriod:
    label: str
    url: str


def quick_periods(today: date, department: str | None) -> list[QuickPeriod]:
    """Links to the periods people ask for most, keeping the department chosen."""
    this_month = today.replace(day=1)
    last_month_ends = this_month - timedelta(days=1)
    periods = [
        (_l("Last 12 weeks"), *default_period(today)),
        (_l("This month"), this_month, today),
        (_l("Last month"), last_month_ends.replace(day=1), last_month_ends),
        (_l("This year"), today.replace(month=1, day=1), today),
    ]
    extra = {"department": department} if department else {}
    return [
        QuickPeriod(str(label), url_for(
            "pages.dashboard.overview", **{"from": first.isoformat(), "to": last.isoformat()},
            **extra,
        ))
        for label, first, last in periods
    ]
