"""Every reason code notify may report has the pages' words; nothing else is kept as a reason."""

from __future__ import annotations

from complaints.web.pages.delivery_failures import FAILURES
from shared.contract.delivery_failures import REASONS, UNKNOWN, as_reason_code


def test_every_reason_code_has_words_on_the_pages():
    assert set(FAILURES) == set(REASONS)


def test_a_reason_that_is_not_a_code_is_kept_only_as_unknown():
    assert as_reason_code("webhook_timeout") == "webhook_timeout"
    assert as_reason_code("https://hooks.example/h: [Errno 111] Connection refused") == UNKNOWN
    assert as_reason_code("") == UNKNOWN
