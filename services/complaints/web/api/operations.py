"""Operations: liveness, readiness (the event store answers) and Prometheus metrics."""

from __future__ import annotations

import hmac

from eventsourcing.persistence import PersistenceError
from flask import Response, request
from werkzeug.exceptions import NotFound, ServiceUnavailable

from complaints.application.principals import AuthenticationError
from complaints.web.api.error_responses import documents_errors
from complaints.web.api.parsing import ApiBlueprint
from complaints.web.runtime import runtime

blp = ApiBlueprint(
    "operations", __name__, description="Health and metrics, for load balancers and Prometheus."
)


@blp.route("/healthz", methods=["GET"])
@blp.response(200)
def healthz():
    """The process is alive

    Roles: anyone. Touches nothing but the process itself.
    """
    return {"status": "alive"}


@blp.route("/readyz", methods=["GET"])
@blp.response(200)
@documents_errors(blp, 503)
def readyz():
    """The service can take requests

    Roles: anyone. Asks the event store a cheap question (its newest position); 503 in the
    error shape when the store does not answer.
    """
    services = runtime().services
    try:
        head = services.complaints.recorder.max_notification_id()
    except PersistenceError as error:
        # Unreachable, or reachable without its tables (`huiyin init` not run): not ready.
        raise ServiceUnavailable(f"the event store is not ready: {type(error).__name__}") from None
    return {"status": "ready", "store": services.settings.store_name, "head": head or 0}


@blp.route("/metrics", methods=["GET"])
@blp.doc(
    responses={"200": {"description": "Prometheus text format", "content": {"text/plain": {}}}}
)
@documents_errors(blp, 401, 404)
def metrics():
    """Prometheus metrics

    Roles: the scraper holding `HUIYIN_METRICS_TOKEN`, sent as `Authorization: Bearer …`
    (Prometheus: `authorization: {credentials_file: …}`); without that setting, 404.
    Requests and latencies by endpoint, method and status; cases by state; how far the read
    model is behind.
    """
    _require_metrics_token(runtime().services.settings.metrics_token)
    body, content_type = runtime().metrics.exposition()
    return Response(body, content_type=content_type)


def _require_metrics_token(token: str) -> None:
    if not token:
        raise NotFound("metrics are served only with HUIYIN_METRICS_TOKEN set")
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise AuthenticationError("send the metrics token as Authorization: Bearer …")
