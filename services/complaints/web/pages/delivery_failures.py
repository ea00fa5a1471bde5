"""Why a message could not reach the filer, in the reader's words: one sentence for each reason
code notify reports (shared.contract.delivery_failures), for the staff, audit and filer pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from shared.contract.delivery_failures import UNKNOWN, as_reason_code

FAILURES = {
    "email_refused": _l("The e-mail was refused by the mail server."),
    "email_unreachable": _l("The mail server could not be reached."),
    "email_timeout": _l("The mail server did not answer in time."),
    "email_invalid": _l("The e-mail could not be sent to this address."),
    "email_maildir_failed": _l("The e-mail could not be written to the local mail folder."),
    "sms_unreachable": _l("The text-message gateway could not be reached."),
    "sms_timeout": _l("The text-message gateway did not answer in time."),
    "sms_http_status": _l("The text-message gateway refused the message."),
    "sms_outbox_failed": _l("The text message could not be written to the local outbox."),
    "webhook_invalid_url": _l("The webhook address is not a usable https address."),
    "webhook_refused_scheme": _l("The webhook address does not use https."),
    "webhook_refused_address": _l("The webhook address is, or leads to, an address inside a "
                                  "private network: it was not called."),
    "webhook_unresolvable": _l("The webhook's host name could not be found."),
    "webhook_unreachable": _l("The webhook's server could not be connected to."),
    "webhook_timeout": _l("The webhook's server did not answer in time."),
    "webhook_tls": _l("The webhook's server could not prove that it is the host in the "
                      "address (TLS certificate)."),
    "webhook_redirected": _l("The webhook answered with a redirect, which is not followed."),
    "webhook_http_status": _l("The webhook answered with an error status."),
    "webhook_bad_answer": _l("The webhook's server did not answer in HTTP."),
    "internal_error": _l("Sending failed on our side."),
    UNKNOWN: _l("No reason was recorded."),
}


def failure_words(reason: str | None) -> str:
    """The reader's sentence for a reason code; any other text is not shown, only 'unknown'."""
    return str(FAILURES[as_reason_code(reason or "")])
