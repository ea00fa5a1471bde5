"""One JSON POST to a gateway the operator configured, with a timeout and no redirects; any
answer but 2xx is a failed try, reported as `<channel>_<kind>` (e.g. sms_timeout)."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping

from notify.application.delivery import DeliveryError
from shared.contract.delivery_failures import HTTP_STATUS, TIMEOUT, UNREACHABLE

_MAX_ANSWER_BYTES = 65536


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirected POST is refused, so a body never lands somewhere unintended."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def post_json(
    url: str, body: bytes, headers: Mapping[str, str], timeout: float, channel: str
) -> bytes:
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
        raise DeliveryError(f"{channel}_{HTTP_STATUS}", f"{url} answered {error.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        kind = TIMEOUT if isinstance(reason, TimeoutError) else UNREACHABLE
        raise DeliveryError(f"{channel}_{kind}", f"{url}: {reason}") from None
