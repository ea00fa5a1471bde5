"""Each case as it stands after an event, kept in memory and moved on by the events themselves."""

from __future__ import annotations

from collections import OrderedDict
from uuid import UUID

from complaints.application.service import Complaints
from complaints.domain.case import Case

CACHE_SIZE = 10_000


class CaseStates:
    """The relay's view of each case it has seen, least recently used dropped first.

    The filer's contacts and language never change after filing, but the departments do,
    so the context of an event is the case after it. Applying each event to the cached
    case gives exactly that, with the domain's own rules and no extra read. Only a case
    not in the cache (after a restart, or dropped) is loaded from the store, once.
    """

    def __init__(self, app: Complaints, size: int = CACHE_SIZE) -> None:
        self.app = app
        self.size = size
        self.cases: OrderedDict[UUID, Case] = OrderedDict()
        self.loads = 0  # cases read from the store, to see what the cache saves

    def after(self, event: Case.Event) -> Case:
        """The case at `event`'s version."""
        case_id = event.originator_id
        version = event.originator_version
        case = self.cases.pop(case_id, None)
        if version == 1:
            case = event.mutate(None)
        elif case is not None and case.version == version - 1:
            case = event.mutate(case)
        else:
            case = self.app.load_case(case_id, version=version)
            self.loads += 1
        self.cases[case_id] = case
        if len(self.cases) > self.size:
            self.cases.popitem(last=False)
        return case

    def forget(self) -> None:
        """Drop every case, e.g. before a batch that may go back to versions already seen."""
        self.cases.clear()
