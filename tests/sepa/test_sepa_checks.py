"""Bank details and creditor identifiers as the bank will check them."""

from datetime import date

import pytest

from resolvers.core.errors import DirectDebitErrorCode, DomainError
from resolvers.sepa.direct_debit import collection_date
from resolvers.sepa.sepa_mandates import (
    checked_bic,
    checked_creditor_identifier,
    checked_iban,
    masked_iban,
)


@pytest.mark.parametrize(
    ("given", "compact"),
    [
        ("FR72ZZZ123456", "FR72ZZZ123456"),
        ("fr72 zzz 123456", "FR72ZZZ123456"),
        # The EPC's German example: a longer national identifier.
        ("DE98ZZZ09999999999", "DE98ZZZ09999999999"),
    ],
)
def test_creditor_identifiers_with_a_right_key_pass(given: str, compact: str) -> None:
    assert checked_creditor_identifier(given) == compact


@pytest.mark.parametrize(
    "given", ["FR73ZZZ123456", "FR72ZZZ12345", "FR72ZZZ1234567", "72FRZZZ123456", ""]
)
def test_wrong_creditor_identifiers_are_refused(given: str) -> None:
    with pytest.raises(DomainError) as refused:
        checked_creditor_identifier(given)
    assert refused.value.code == DirectDebitErrorCode.CREDITOR_ID_INVALID


@pytest.mark.parametrize(
    "given",
    [
        "FR14 2004 1010 0505 0001 3M02 607",  # checksum
        "FR14 2004 1010 0505 0001 3M02",  # length
        "XX14 2004 1010 0505 0001 3M02 606",  # country
        "not an iban",
    ],
)
def test_wrong_ibans_are_refused(given: str) -> None:
    with pytest.raises(DomainError) as refused:
        checked_iban(given)
    assert refused.value.code == DirectDebitErrorCode.IBAN_INVALID


def test_bics_are_checked_or_derived_from_the_iban() -> None:
    iban = checked_iban("DE89 3704 0044 0532 0130 00")
    assert checked_bic(None, iban) == "COBADEFFXXX"
    assert checked_bic("cobadeffxxx", iban) == "COBADEFFXXX"
    for wrong in ("COBA", "COBAXXFF", "COBADEFFXXXX"):
        with pytest.raises(DomainError) as refused:
            checked_bic(wrong, iban)
        assert refused.value.code == DirectDebitErrorCode.BIC_INVALID


def test_a_parent_sees_only_the_last_four_characters() -> None:
    assert masked_iban("DE89370400440532013000") == "**** **** **** **** **30 00"


def test_the_collection_date_is_the_due_date_unless_it_has_passed() -> None:
    assert collection_date([date(2026, 11, 30)], date(2026, 11, 23)) == date(2026, 11, 30)
    assert collection_date([date(2026, 11, 30)], date(2026, 12, 2)) == date(2026, 12, 3)
