"""Every mutation goes through the one wrapper, and the schema-build check of error codes
fires when an area's enum lacks a code its operations raise."""

from enum import StrEnum

import pytest

from gql.error_codes import ErrorCodesMissing, check_error_codes, missing_codes, raised_codes
from gql.errors import HANDLED, HandledMutation, HouseholdError
from gql.schema import schema


class ShortHouseholdCode(StrEnum):
    """HouseholdErrorCode without ACCESS_KEY_USED."""

    NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    INVALID = "INVALID"
    ACCESS_KEY_INVALID = "ACCESS_KEY_INVALID"
    ACCESS_KEY_EXPIRED = "ACCESS_KEY_EXPIRED"
    ALREADY_LINKED = "ALREADY_LINKED"


class ShortHouseholdError:
    codes = ShortHouseholdCode


def _resolver(field_name: str) -> HandledMutation:
    [handled] = [h for h in HANDLED if h.resolver.__name__ == field_name]
    return handled


def test_every_mutation_goes_through_the_wrapper() -> None:
    mutation = schema.get_type_by_name("Mutation")
    assert mutation is not None
    names = {field.python_name for field in mutation.fields}  # type: ignore[union-attr]
    assert names == {handled.resolver.__name__ for handled in HANDLED}
    # fetchFamilyQuotient keeps the consent and the provider's refusal when the lookup fails.
    assert {h.resolver.__name__ for h in HANDLED if not h.atomic} == {
        "login",
        "start_payment",
        "fetch_family_quotient",
    }


def test_the_codes_are_followed_into_the_domains_and_the_helper_exceptions() -> None:
    codes = raised_codes(_resolver("link_household").resolver)
    # Raised in resolvers/households, by the helpers of resolvers/core/errors.py, by gql.ids.
    assert {"ACCESS_KEY_USED", "ALREADY_LINKED", "NOT_AUTHENTICATED"} <= set(codes)
    assert codes["NOT_AUTHENTICATED"] == "resolvers.core.errors.NotAuthenticated"
    # Through resolvers/documents from resolvers/absences.
    report = raised_codes(_resolver("report_absence").resolver)
    assert report["FILE_TOO_LARGE"] == "resolvers.documents.documents.check_files"
    assert "INVALID" in raised_codes(_resolver("remove_contact").resolver)  # decode_id


def test_an_enum_missing_a_raised_code_fails_the_schema_build() -> None:
    handled = _resolver("link_household")
    assert handled.error_type is HouseholdError
    assert missing_codes(handled.resolver, HouseholdError.codes) == {}
    assert set(missing_codes(handled.resolver, ShortHouseholdCode)) == {"ACCESS_KEY_USED"}

    with pytest.raises(ErrorCodesMissing) as refused:
        check_error_codes([HandledMutation(handled.resolver, ShortHouseholdError, True)])
    message = str(refused.value)
    assert "HouseholdMutations.link_household" in message
    assert "ShortHouseholdCode lacks ACCESS_KEY_USED" in message
    assert "resolvers.households.households." in message
    check_error_codes(HANDLED)  # the real enums hold every code
