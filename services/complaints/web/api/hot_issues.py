"""Hot issues for targeted inspections: clusters of similar complaints in a period."""

from __future__ import annotations

from flask import current_app
from marshmallow import RAISE

from complaints.domain.values import Role
from complaints.intelligence import hot
from complaints.intelligence.hot import HotIssueFinder
from complaints.web.api.error_responses import documents_errors
from complaints.web.api.parsing import ApiBlueprint
from complaints.web.api.schemas.hot_issues import HotIssueArgsSchema, HotIssueReportSchema
from complaints.web.identity import current_principal, require_role
from complaints.web.runtime import runtime

HOT_ISSUES = "huiyin.hot_issues"

blp = ApiBlueprint(
    "hot_issues",
    __name__,
    url_prefix="/api/v1",
    description="Clusters of similar complaints in a period, ranked by a heat index, for the "
    "targeted inspections of the matters most complained about.",
)


def finder() -> HotIssueFinder:
    """The app's finder (it keeps what it found until the case index moves on)."""
    if HOT_ISSUES not in current_app.extensions:
        current_app.extensions[HOT_ISSUES] = HotIssueFinder(runtime().case_index)
    return current_app.extensions[HOT_ISSUES]


def report(period: dict) -> dict:
    first, last = period["period_from"], period["period_to"]
    issues, rows = finder().find(first, last, period.get("department"), period.get("limit", 10))
    return {
        "period_from": first, "period_to": last, "department": period.get("department"),
        "cases": len(rows),
        "issues": [issue.as_dict() for issue in issues],
        "concentration": hot.concentration(rows),
        "lag": runtime().case_index.lag(),
    }


@blp.route("/hot-issues", methods=["GET"])
@blp.arguments(HotIssueArgsSchema, location="query", arg_name="period", unknown=RAISE)
@blp.response(200, HotIssueReportSchema)
@blp.needs_token
@documents_errors(blp, 401, 403, 422, 503)
def hot_issues(period):
    """Hot issues in a period

    Roles: supervisor and auditor. The cases filed from `from` to `to` (both days included,
    Asia/Shanghai, at most 366 days), those led or co-handled by `department` when given, are
    grouped into matters (TF-IDF over character pairs, reduced by LSA, k-means; a group keeps
    the cases near its centre) and ranked by heat = voices × (1 + bad-review share + overdue
    share) × (1 + log10(1 + cases per week)), where each case's voice weighs
    2^(−age ÷ half-life) at the end of the period (half-life a quarter of the period, at least
    7 days) and a filer's repeat complaints count half. Each issue names its words, places,
    departments, categories and cases. `concentration` counts the period's cases by category
    and month. Computed on asking (seconds for thousands of cases), then kept until the case
    index moves on.
    """
    require_role(current_principal(), Role.SUPERVISOR, Role.AUDITOR)
    return report(period)
