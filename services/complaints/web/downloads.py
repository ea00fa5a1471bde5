"""Files the JSON API and the pages both hand out: a case's history, the scorecards as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Response

from complaints.application import history_export
from complaints.readmodels.scorecards import ScorecardReport
from complaints.readmodels.scorecards.figures import TIMES

TOTAL = "total"


def history_file(document: dict) -> Response:
    """An exported history as a download, for the API and for the auditor's page."""
    name = history_export.file_name(document)
    return Response(
        history_export.encode(document),
        mimetype="application/json",
        # Personal data: kept by whoever downloads it, by no cache on the way.
        headers={"Content-Disposition": f'attachment; filename="{name}"',
                 "Cache-Control": "private, no-store"},
    )


def csv_response(report: ScorecardReport, first_day: date, last_day: date) -> Response:
    """The report as a CSV download, for the API and the dashboard page alike."""
    start, end = first_day.isoformat(), last_day.isoformat()
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    codes = tuple(report.total.figures)  # the catalogue's figures, as every card has them
    writer.writerow(["from", "to", "department", *(_heading(code) for code in codes)])
    for card in [*report.departments, report.total]:
        values = [_csv_value(card.figures[code]) for code in codes]
        writer.writerow([start, end, card.department or TOTAL, *values])
    response = Response(text.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="scorecards-{start}-{end}.csv"'
    )
    response.headers["Huiyin-Lag-Tracked"] = str(report.lag.tracked)
    response.headers["Huiyin-Lag-Head"] = str(report.lag.head)
    response.headers["Huiyin-Lag-Behind"] = str(report.lag.behind)
    return response


def _heading(code: str) -> str:
    """A figure's column: its code, a time's with its unit ("[working days]")."""
    return f"{code} [{TIMES[code].replace('_', ' ')}]" if code in TIMES else code


def _csv_value(value: int | float | None) -> str:
    return "" if value is None else str(value)
