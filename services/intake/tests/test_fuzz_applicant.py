"""Fuzzing what an applicant types (hypothesis): ID numbers, credit codes, mobiles and whole applications.

Whatever arrives, intake answers with the application's problems by field (or a ValidationFailed naming
the field); it never fails with anything else, and the check-character rules accept exactly the numbers
whose last character is right.
"""

from __future__ import annotations

import string
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from intake import domain
from intake.catalogue import find_item, load_catalogue
from intake.schemas import SubmissionSchema
from sunlight import mobiles
from sunlight.contracts import load_or_fail
from sunlight.errors import NotFound, ValidationFailed

CATALOGUE = load_catalogue()
ITEM_CODES = sorted(CATALOGUE)
DIGITS = st.text(alphabet=string.digits, min_size=17, max_size=17)
USCC_BODY = st.text(alphabet=domain.USCC_CHARS, min_size=17, max_size=17)
ANY_TEXT = st.text(max_size=40)
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
                    max_leaves=8)


@given(ANY_TEXT)
def test_any_text_is_just_a_valid_or_invalid_id_or_mobile(text: str) -> None:
    assert domain.valid_resident_id(text) in (True, False)
    assert domain.valid_credit_code(text) in (True, False)
    assert mobiles.MOBILE.fullmatch(text) is None or text.isascii()


@given(DIGITS, st.sampled_from("0123456789X"))
def test_a_resident_id_is_valid_exactly_when_its_check_character_is_right(body: str, last: str) -> None:
    assert domain.valid_resident_id(body + last) == (last == domain.resident_id_check(body))


@given(USCC_BODY, st.sampled_from(domain.USCC_CHARS))
def test_a_credit_code_is_valid_exactly_when_its_check_character_is_right(body: str, last: str) -> None:
    assert domain.valid_credit_code(body + last) == (last == domain.credit_code_check(body))


applicants = st.fixed_dictionaries({}, optional={
    "name": JSON | ANY_TEXT, "kind": st.sampled_from(["person", "company"]) | JSON,
    "id_number": ANY_TEXT | DIGITS.map(lambda d: d + domain.resident_id_check(d)) | JSON,
    "mobile": st.from_regex(r"1[0-9]{10}", fullmatch=True) | ANY_TEXT | JSON,
})
applications = st.fixed_dictionaries({"item_code": st.sampled_from(ITEM_CODES) | ANY_TEXT}, optional={
    "applicant": applicants | JSON, "materials": st.dictionaries(ANY_TEXT, JSON, max_size=3) | JSON,
    "form": st.dictionaries(ANY_TEXT, JSON, max_size=3) | JSON, "channel": ANY_TEXT | JSON,
    "clerk_id": ANY_TEXT | JSON, "fees": st.lists(ANY_TEXT, max_size=3) | JSON,
})


def names_reasons(fields: Any) -> bool:
    """Every field (nested ones too: applicant.mobile) has a list of reasons in words."""
    if isinstance(fields, dict):
        return bool(fields) and all(names_reasons(value) for value in fields.values())
    return isinstance(fields, list) and bool(fields) and all(isinstance(reason, str) for reason in fields)


@settings(max_examples=300, deadline=None)
@given(applications)
def test_any_application_is_refused_field_by_field_or_its_problems_listed(application: dict[str, Any]) -> None:
    try:
        submission = load_or_fail(SubmissionSchema(), application, "application")["submission"]
    except ValidationFailed as refused:
        assert refused.fields and names_reasons(refused.fields)
        return
    try:
        item = find_item(CATALOGUE, submission.item_code)
    except NotFound as unknown:
        assert unknown.fields == {"item_code": ["unknown item"]}
        return
    problems = domain.problems_with(item, submission)
    assert all(isinstance(field, str) and reasons for field, reasons in problems.items())
