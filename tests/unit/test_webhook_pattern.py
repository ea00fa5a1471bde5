"""The webhook URL form the OpenAPI document publishes says what filing enforces: every URL the
pattern allows is one the server takes, so a client (or schemathesis) that follows the
document is never refused, and no internal name fits it."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import fields

from complaints.web.api.schemas.filing import WEBHOOK_URL
from shared.webhook_targets import INTERNAL_SUFFIXES, webhook_url_problem

PATTERN = re.compile(WEBHOOK_URL.pattern)


@pytest.mark.parametrize("suffix", (*INTERNAL_SUFFIXES, ".localhost"))
def test_the_published_pattern_allows_no_internal_name(suffix):
    for url in (f"https://metadata{suffix}", f"https://a.b{suffix}/hook",
                f"https://x{suffix.upper()}/", f"https://a{suffix}?token=1"):
        assert webhook_url_problem(url) is not None
        assert not PATTERN.search(url), url


@pytest.mark.parametrize("url", ["https://hooks.example.com/huiyin", "https://a.io",
                                 "https://my-local.example.org/x/y", "https://corp.example.cn/",
                                 "https://hooks.example.com/in?token=a1b2&case=%E5%9B%9E",
                                 "https://api.example.com/v1/hooks/huiyin;v=2?sig=x/y"])
def test_the_published_pattern_allows_public_names(url):
    assert webhook_url_problem(url) is None
    assert PATTERN.search(url)


@settings(max_examples=300)
@given(st.from_regex(PATTERN, fullmatch=True))
def test_every_url_the_published_pattern_allows_is_taken_at_filing(url):
    assert webhook_url_problem(url) is None, url
    # and by the field's own URL check, which runs before the webhook rules
    URL_FIELD.deserialize(url)


URL_FIELD = fields.URL(schemes={"https", "http"})
