"""One JSON POST with a timeout and no redirects; any answer but 2xx is a failed try."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping

from notify.application.delivery import DeliveryError

_MAX_ANSWER_BYTES = 65536


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirected POST is refused, so a signed body never lands somewhere unintended."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def post_json(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> bytes:
    """POST `body` as JSON; the answer's body (up to 64 KiB) when the status is 2xx."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", **headers},
    )
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            return answer.read(_MAX_ANSWER_BYTES)
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"{url} answered {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryError(f"{url} could not be reached: {reason}") from None
