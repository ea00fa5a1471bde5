"""Webhook signatures: per-case secrets, HMAC-SHA256 over timestamp and body, stale refused."""

from __future__ import annotations

from uuid import uuid4

from shared.webhooks import sign, verify, webhook_secret

KEY = "k" * 40
BODY = '{"reference":"HY-2026-000042","text":"Здравствуйте"}'.encode()
NOW = 1_780_000_000


def test_a_signature_verifies_with_the_same_secret_body_and_timestamp():
    secret = webhook_secret(KEY, uuid4())
    signature = sign(secret, NOW, BODY)

    assert signature.startswith("sha256=") and len(signature) == len("sha256=") + 64
    assert verify(secret, str(NOW), BODY, signature, now=NOW + 5)


def test_a_tampered_body_another_secret_or_a_moved_timestamp_fail():
    secret = webhook_secret(KEY, uuid4())
    signature = sign(secret, NOW, BODY)

    assert not verify(secret, NOW, BODY + b" ", signature, now=NOW)
    assert not verify(webhook_secret(KEY, uuid4()), NOW, BODY, signature, now=NOW)
    assert not verify(secret, NOW + 1, BODY, signature, now=NOW)
    assert not verify(secret, NOW, BODY, "", now=NOW)


def test_a_stale_or_future_timestamp_is_refused_even_when_correctly_signed():
    secret = webhook_secret(KEY, uuid4())
    signature = sign(secret, NOW, BODY)

    assert verify(secret, NOW, BODY, signature, now=NOW + 300)
    assert not verify(secret, NOW, BODY, signature, now=NOW + 301)
    assert not verify(secret, NOW, BODY, signature, now=NOW - 301)
    assert not verify(secret, NOW, BODY, signature, now=NOW + 61, tolerance_seconds=60)


def test_a_timestamp_that_is_not_a_number_is_refused():
    secret = webhook_secret(KEY, uuid4())

    assert not verify(secret, "yesterday", BODY, sign(secret, "yesterday", BODY), now=NOW)


def test_the_secret_is_stable_per_case_and_differs_between_cases_and_keys():
    case_id = uuid4()

    assert webhook_secret(KEY, case_id) == webhook_secret(KEY, case_id)
    assert webhook_secret(KEY, case_id) != webhook_secret(KEY, uuid4())
    assert webhook_secret(KEY, case_id) != webhook_secret("j" * 40, case_id)
