"""The webhook URL form the OpenAPI document publishes says what filing enforces: every URL the
pattern allows is one the server takes, so a client (or schemathesis) that follows the
document is never refused, and no internal name fits it."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from complaints.web.api.schemas.filing import WEBHOOK_URL
from shared.webhook_targets import INTERNAL_SUFFIXES, webhook_url_problem

PATTERN = re.compile(WEBHOOK_URL.pattern)


@pytest.mark.parametrize("suffix", (*INTERNAL_SUFFIXES, ".localhost"))
def test_the_published_pattern_allows_no_internal_name(suffix):
    for url in (f"https://metadata{suffix}", f"https://a.b{suffix}/hook",
                f"https://x{suffix.upper()}/"):
        assert webhook_url_problem(url) is not None
        assert not PATTERN.search(url), url


@pytest.mark.parametrize("url", ["https://hooks.example.com/huiyin", "https://a.io",
                                 "https://my-local.example.org/x/y", "https://corp.example.cn/"])
def test_the_published_pattern_allows_public_names(url):
    assert webhook_url_problem(url) is None
    assert PATTERN.search(url)


@settings(max_examples=300)
@given(st.from_regex(PATTERN))
def test_every_url_the_published_pattern_allows_is_taken_at_filing(url):
    assert webhook_url_problem(url) is None, url
