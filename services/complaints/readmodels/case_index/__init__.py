"""The case index: one row per case for the queues and the search, kept current by its projection.

Its parts: `rows` (a case as a row), `projection` (notifications become rows), `queries`
(what the web layer and the CLI ask of it), `filters` (those questions as SQL for either store),
`search_text` (the words of the full-text index and of a query), and one recorder per store,
`sqlite` and `postgres`. What others use is named here.
"""

from complaints.readmodels.case_index.filters import COUNTED_UP_TO
from complaints.readmodels.case_index.projection import CaseIndexProjection
from complaints.readmodels.case_index.queries import (
    MAX_OFFSET,
    CaseIndex,
    Page,
    open_case_index,
)

__all__ = [
    "COUNTED_UP_TO", "MAX_OFFSET", "CaseIndex", "CaseIndexProjection", "Page", "open_case_index",
]
