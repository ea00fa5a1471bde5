"""What one app holds for its requests: the services, the read side, tokens and metrics."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from complaints.adapters.access_store import AccessStore
from complaints.bootstrap import Services
from complaints.intelligence.similar import SimilarCases
from complaints.intelligence.suggestions import Dispatcher
from complaints.readmodels.case_index import CaseIndex
from complaints.readmodels.scorecards import Scorecards
from complaints.web.metrics import Metrics
from complaints.web.tokens import TokenIssuer

EXTENSION = "huiyin"
SCORECARDS = "huiyin.scorecards"
SIMILAR = "huiyin.similar"
DISPATCH = "huiyin.dispatch"


@dataclass(frozen=True)
class Runtime:
    services: Services
    case_index: CaseIndex
    tokens: TokenIssuer
    metrics: Metrics
    # Page sessions and rate-limit counters, shared by every worker (adapters/access_store.py).
    access: AccessStore

    def close(self) -> None:
        self.case_index.close()
        self.access.close()
        self.services.close()


def runtime() -> Runtime:
    """The running app's parts; only inside a request or an app context."""
    return current_app.extensions[EXTENSION]


def scorecards() -> Scorecards:
    """The department scorecards beside the event store, for the API and the dashboard alike;
    only inside a request or an app context."""
    return current_app.extensions[SCORECARDS]


def similar_cases() -> SimilarCases:
    """This worker's similar-cases model over the case index, fitted on its first question;
    only inside a request or an app context."""
    return current_app.extensions[SIMILAR]


def dispatcher() -> Dispatcher:
    """Dispatch suggestions from the model in the data directory, or the routing table;
    only inside a request or an app context."""
    return current_app.extensions[DISPATCH]
