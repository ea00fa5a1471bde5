"""Why notify could not deliver a message: the reason codes it reports, and what each means.

A failed receipt's `reason` and a dead letter's `last_error` carry one of these codes and
nothing else: never the network's own words, an address or a URL, which would let a filer
probe the city's network through their webhook. The meanings are for people (staff reading
a dead letter, the complaints service putting a reason into a reader's words).
"""

from __future__ import annotations

from collections.abc import Mapping

# Any channel that talks to a server: f"{channel}_{kind}".
TIMEOUT = "timeout"
UNREACHABLE = "unreachable"
HTTP_STATUS = "http_status"
# A sender broke in a way nobody foresaw: notify's log says how.
INTERNAL_ERROR = "internal_error"
# Not tried, or not tried again: the case's personal data was erased, the filer's address
# with it. Recorded in notify's own store only: such a notice is neither a failure reported
# back to the case (there is no one to reach, and the case says why) nor a dead letter.
PERSONAL_DATA_ERASED = "personal_data_erased"
# What the complaints service records and shows for a reason that is not one of these codes
# (a receipt from a notify older than the codes, or a record made before them): the words
# themselves may hold the filer's URL or probe the network, so they are not kept.
UNKNOWN = "unknown"

REASONS: Mapping[str, str] = {
    "email_refused": "the mail server refused the message",
    "email_unreachable": "the mail server could not be reached",
    "email_timeout": "the mail server did not answer in time",
    "email_invalid": "the message could not be sent to this address",
    "email_maildir_failed": "the message could not be written to the local maildir",
    "sms_unreachable": "the SMS gateway could not be reached",
    "sms_timeout": "the SMS gateway did not answer in time",
    "sms_http_status": "the SMS gateway refused the message",
    "sms_outbox_failed": "the message could not be written to the local SMS outbox",
    "webhook_invalid_url": "the webhook URL is not a usable https URL",
    "webhook_refused_scheme": "the webhook URL does not use https",
    "webhook_refused_address": "the webhook's host is, or resolves to, an address inside a "
                               "network (private, loopback, link-local, …): not called",
    "webhook_unresolvable": "the webhook's host name could not be resolved",
    "webhook_unreachable": "the webhook's server could not be connected to",
    "webhook_timeout": "the webhook's server did not answer in time",
    "webhook_tls": "the webhook's server did not prove it is the host named in the URL (TLS)",
    "webhook_redirected": "the webhook answered with a redirect, which is not followed",
    "webhook_http_status": "the webhook answered with a status other than 2xx",
    "webhook_bad_answer": "the webhook's server did not answer in HTTP",
    INTERNAL_ERROR: "notify failed unexpectedly while sending (its log says how)",
    UNKNOWN: "no reason code was given (a record from before the codes)",
}


def meaning(code: str) -> str:
    """What `code` means, in English; an unknown code is returned as it is."""
    return REASONS.get(code, code)


def as_reason_code(reason: str) -> str:
    """`reason` if it is one of the codes, else UNKNOWN: never free words, which may name an
    address or a URL."""
    return reason if reason in REASONS else UNKNOWN
