"""Department scorecards: the case events folded into per-case facts, and figures over a period.

Its parts: `facts` (one case folded into what the scorecards count), `projection` (notifications
folded into facts, and each case's contribution moved between buckets), `figures` (each figure
counted from the facts: the definition, and the engine of the cases behind a figure), `buckets`
(the contributions summed by filing day × department × category × channel, reply times as
histograms, rolled up by week and month), `queries` (the figures of a period and department,
as the web layer asks), and one recorder per store, `sqlite` and `postgres`. What others use
is named at the end of this module.

How a period is counted
-----------------------
A scorecard sums the buckets of the whole city days inside the period (whole months from the
month buckets, the days left from the day buckets; a week view reads whole weeks from the week
buckets) and folds the facts of the cases filed in the partial days at its ends, when its
ends are not at midnight in the city. The sums give the same figures as folding every case of
the period: a bucket holds exactly what `figures.Tally` counts for its cases, reply times are
whole days (working and calendar), so the median and the nearest-rank 90th percentile of a
histogram are those of the list. So the cost of a scorecard depends on the length of the period
in months and the number of departments, categories and channels, not on the number of cases.

How each figure is defined
--------------------------
- A case belongs to the department that led it last (the latest Assigned lead, or the
  department a case was last transferred to; a transfer back to intake does not erase it).
  A case never assigned belongs to no department and counts only in the total.
- The period is the cases *received* in it: filed at a moment (when it happened in the
  world, `occurred_at`) in [from, to). Every figure of a period is about those cases,
  whenever the later steps happened, so a month's scorecard settles as its cases do.
- Every time is when a thing happened in the world, never when it was recorded.
- `received`: cases filed in the period.
- `accepted`: accept stages ended by Assigned or Referred (one per filing, per transfer back
  to intake, per reopening before assignment), or by an answer given at once (at first
  contact, or through the primary to a duplicate never dispatched); `accepted_on_time`:
  those ended at or before the due time in force. The due time in force for a stage is the
  one the latest event gave it (the stage's start, information supplied, an extension, a
  recomputation); a stage given no due time cannot be late.
- `replies`: the first reply of each round (Responded, or AnsweredThroughPrimary: a
  duplicate given its primary's reply); `replied_on_time`: those at or before
  the reply stage's due time in force, after extensions; `replied_cases`: cases replied at least
  once.
- `time_to_reply_median`, `time_to_reply_p90`: working days (Asia/Shanghai, China's official
  calendar; days d with start day < d <= reply day) from the start of the reply stage in force
  (the last assignment, transfer to a department or reopening) to the reply; the median, and
  the nearest-rank 90th percentile. `time_to_reply_calendar_median`, `…_calendar_p90`: the
  same in calendar days, counted the same way (days d with start day < d <= reply day).
- Ratings count per round: `rated_good` (4–5), `rated_neutral` (3), `rated_bad` (1–2) and
  `ratings` (their sum) leave out the ratings a supervisor invalidated, which count apart
  by class: `ratings_invalid`, `ratings_malicious`.
- `satisfaction_rate` = (rated_good + rated_neutral) / ratings.
- `bad_reviews_upheld`: re-checks concluded upheld; `rectified`: rectifications;
  `rectified_on_time`: those at or before the rectify stage's due time in force.
- `return_visits`: return visits (FollowedUp); `return_visit_rate` = return_visits / rectified.
- `reopened_cases`: cases reopened after a reply; `reopen_rate` = reopened_cases / replied_cases.
- `dispatched`: cases assigned to a department at least once; `first_dispatch_final`: those
  whose first assignment was final, never transferred afterwards (onward, or back to intake
  and assigned again); `first_dispatch_accuracy` = first_dispatch_final / dispatched. A case
  counts for the department that led it last, so a department's figure is the share of its
  cases that reached it on the first dispatch. A transfer is read from the stages the facts
  keep (a transfer is the only event that starts a stage again within a round after the
  reply stage has started), so facts stored by earlier versions are counted alike.
- `answered_at_first_contact`: cases intake answered on the spot from a knowledge base entry
  (AnsweredAtFirstContact; their accept stage counts as done then);
  `answered_at_first_contact_rate` = answered_at_first_contact / received.
- `breaches`, `escalations`: DeadlineBreached and Escalated events, in all and per stage
  (`breaches_accept`, `breaches_reply`, `breaches_rectify`, `breaches_return_visit`, the same
  for escalations).
- The cases received, broken down: `received_via_<channel>` (web, api, hotline, window,
  letter, email), `received_in_<category>` (each category of the catalogue in force),
  `outcome_<outcome>` (the outcome of the latest reply that stands: resolved, …), and
  `open_cases` (not closed).
- Rates: `accepted_on_time_rate`, `replied_on_time_rate`, `rectified_on_time_rate` as above;
  every rate is a fraction from 0 to 1 (4 decimals), null when its denominator is 0; times are
  null when nothing was replied.

The cases behind a figure are the entries its count is made of (a case, with the round or
stage it counts for): as many as the figure for a count, the numerator's for a rate, the
timed replies for a time.
"""

from complaints.readmodels.scorecards.projection import ScorecardProjection
from complaints.readmodels.scorecards.queries import (
    LONGEST_PERIOD_YEARS,
    Scorecard,
    ScorecardReport,
    Scorecards,
    WeekFigures,
    open_scorecards,
    within_longest_period,
)

__all__ = [
    "LONGEST_PERIOD_YEARS",
    "Scorecard",
    "ScorecardProjection",
    "ScorecardReport",
    "Scorecards",
    "WeekFigures",
    "open_scorecards",
    "within_longest_period",
]
