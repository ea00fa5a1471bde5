"""The unified social credit code's check character, per GB 32100-2015."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from complaints.domain.credit_code import ALPHABET, check_character, credit_code_problem

# Codes of real enterprises, published on their business licences.
REAL_CODES = ["91110000802100433B", "91440300708461136T", "91350100M000100Y43"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_enterprises_codes_are_valid(code):
    assert credit_code_problem(code) is None


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("91110000802100433", "must be 18 characters long"),
        ("91110000802100433C", "check character is C"),
        ("91110000802I00433B", "not allowed"),
        ("9111000080210043 3B", "must be 18"),
        ("91A10000802100433B", "administrative division"),
        ("91110000802100433b", "not allowed"),
    ],
)
def test_malformed_codes_are_refused_with_the_reason(code, problem):
    assert problem in credit_code_problem(code)


body = st.text(alphabet=ALPHABET, min_size=17, max_size=17).filter(lambda s: s[2:8].isdigit())


@given(body)
def test_the_computed_check_character_always_completes_a_valid_code(first17):
    assert credit_code_problem(first17 + check_character(first17)) is None


@given(body, st.integers(0, 16), st.sampled_from(ALPHABET))
def test_any_single_changed_character_is_detected(first17, position, replacement):
    code = first17 + check_character(first17)
    changed = code[:position] + replacement + code[position + 1 :]
    if changed != code and changed[2:8].isdigit():
        assert credit_code_problem(changed) is not None
