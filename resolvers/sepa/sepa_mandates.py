"""SEPA mandates and the régies' creditor settings: bank details checked with ``schwifty``
(IBAN checksum and national format, BIC structure and country), the creditor identifier
(ICS) with its ISO 7064 mod 97-10 key, and the RUM kept unique in the town."""

import re
from dataclasses import dataclass
from datetime import date

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from models.accounts import Account
from models.authorities import BillingAuthority
from models.households import Guardian
from models.sepa import MandateStatus, SepaCreditor, SepaMandate
from resolvers.core import audit
from resolvers.core.clock import Clock
from resolvers.core.errors import DirectDebitErrorCode, DomainError, NotFound, ValidationErrors
from resolvers.core.pages import Page, page_of_ids
from resolvers.core.roles import FamilyData, require_authority
from resolvers.core.transactions import atomic
from resolvers.households.households import household_for, require_staff

# Characters the SEPA rulebook allows in a mandate reference (RUM), at most 35.
_RUM = re.compile(r"^[A-Za-z0-9/\-?:().,'+ ]{1,35}$")
_ICS = re.compile(r"^([A-Z]{2})(\d{2})([A-Z0-9]{3})([A-Z0-9]{1,28})$")


def _invalid(code: DirectDebitErrorCode, message: str, field: str) -> DomainError:
    return DomainError(code, message, field)


def checked_iban(value: str, field: str = "iban") -> IBAN:
    """The IBAN in compact form, or IBAN_INVALID (checksum, length, country format)."""
    try:
        return IBAN(value)
    except SchwiftyException:
        raise _invalid(
            DirectDebitErrorCode.IBAN_INVALID,
            "Cet IBAN n'est pas valide : vérifiez-le sur le RIB.",
            field,
        ) from None


def checked_bic(value: str | None, iban: IBAN, field: str = "bic") -> str:
    """The BIC given (checked), else the one schwifty derives from the IBAN's bank code."""
    if not value or not value.strip():
        derived = iban.bic
        if derived is None:
            raise _invalid(
                DirectDebitErrorCode.BIC_INVALID,
                "Le BIC de cette banque n'a pas pu être déduit de l'IBAN : saisissez-le.",
                field,
            )
        return str(derived.compact)
    try:
        return str(BIC(value).compact)
    except SchwiftyException:
        raise _invalid(
            DirectDebitErrorCode.BIC_INVALID,
            "Ce BIC n'est pas valide (8 ou 11 caractères, par exemple BNPAFRPPXXX).",
            field,
        ) from None


def _mod97_digits(text: str) -> int:
    return int("".join(str(int(char, 36)) for char in text)) % 97


def creditor_identifier_key(country: str, national_id: str) -> str:
    """The two check digits of an ICS: ISO 7064 mod 97-10 over the national identifier and
    the country code, the 3-character business code left out (EPC262-08)."""
    return f"{98 - _mod97_digits(f'{national_id}{country}00'):02d}"


def checked_creditor_identifier(value: str) -> str:
    """An ICS such as ``FR72ZZZ123456``, compact and upper-case, or CREDITOR_ID_INVALID."""
    compact = re.sub(r"\s+", "", value).upper()
    match = _ICS.match(compact)
    if match is None or len(compact) > 35:
        raise _invalid(
            DirectDebitErrorCode.CREDITOR_ID_INVALID,
            "L'identifiant créancier SEPA (ICS) doit ressembler à FR12ZZZ123456.",
            "creditorIdentifier",
        )
    country, key, _, national_id = match.groups()
    if country == "FR" and len(national_id) != 6:
        raise _invalid(
            DirectDebitErrorCode.CREDITOR_ID_INVALID,
            "Un ICS français compte 13 caractères (FR, 2 chiffres, 3 caractères, 6 caractères).",
            "creditorIdentifier",
        )
    if creditor_identifier_key(country, national_id) != key:
        raise _invalid(
            DirectDebitErrorCode.CREDITOR_ID_INVALID,
            "La clé de contrôle de cet ICS est fausse : vérifiez-le.",
            "creditorIdentifier",
        )
    return compact


def masked_iban(iban: str) -> str:
    """``**** **** **** **** **** ***0 189``: what a parent sees of their account."""
    hidden = "*" * (len(iban) - 4) + iban[-4:]
    return " ".join(hidden[i : i + 4] for i in range(0, len(hidden), 4))


@dataclass
class CreditorForm:
    """A régie's direct-debit settings, as on its bank's SEPA contract."""

    code: str
    creditor_identifier: str
    creditor_name: str
    iban: str
    bic: str | None = None


async def save_creditor(
    actor: Account | None, authority_id: int, form: CreditorForm, *, clock: Clock
) -> SepaCreditor:
    """Create or change a régie's creditor settings (staff)."""
    staff = require_staff(actor)
    authority = await BillingAuthority.get_or_none(id=authority_id, tenant_id=staff.tenant_id)
    if authority is None:
        raise NotFound("Régie", "authorityId")
    await require_authority(staff, authority.id)
    errors: list[DomainError] = []
    code = form.code.strip().upper()
    if not re.fullmatch(r"[A-Z0-9_-]{1,32}", code):
        errors.append(
            _invalid(
                DirectDebitErrorCode.INVALID,
                "Le code de la régie : lettres, chiffres, - ou _ (32 au plus).",
                "code",
            )
        )
    name = form.creditor_name.strip()
    if not 1 <= len(name) <= 70:
        errors.append(
            _invalid(
                DirectDebitErrorCode.INVALID,
                "Le nom du créancier est obligatoire (70 caractères au plus).",
                "creditorName",
            )
        )
    identifier = iban = bic = None
    try:
        identifier = checked_creditor_identifier(form.creditor_identifier)
    except DomainError as error:
        errors.append(error)
    try:
        iban = checked_iban(form.iban)
        bic = checked_bic(form.bic, iban)
    except DomainError as error:
        errors.append(error)
    if errors or identifier is None or iban is None or bic is None:
        raise ValidationErrors(errors)
    values = {
        "tenant_id": staff.tenant_id,
        "code": code,
        "creditor_identifier": identifier,
        "creditor_name": name,
        "iban": str(iban.compact),
        "bic": bic,
    }
    async with atomic():
        taken = await SepaCreditor.filter(tenant_id=staff.tenant_id, code=code).exclude(
            authority_id=authority.id
        )
        if taken:
            raise _invalid(DirectDebitErrorCode.INVALID, "Une autre régie a déjà ce code.", "code")
        creditor, _ = await SepaCreditor.update_or_create(values, authority_id=authority.id)
        await audit.record(
            "sepa.creditor_saved",
            tenant_id=staff.tenant_id,
            actor=staff,
            target_type="BillingAuthority",
            target_id=authority.id,
            clock=clock,
            details={"creditor_identifier": identifier, "iban_last4": str(iban.compact)[-4:]},
        )
    return creditor


async def creditor_of(actor: Account | None, authority_id: int) -> SepaCreditor | None:
    staff = require_staff(actor)
    if not await BillingAuthority.exists(id=authority_id, tenant_id=staff.tenant_id):
        raise NotFound("Régie", "authorityId")
    return await SepaCreditor.get_or_none(authority_id=authority_id)


async def create_mandate(
    actor: Account | None,
    household_id: int,
    guardian_id: int,
    *,
    iban: str,
    bic: str | None,
    signed_on: date,
    holder_name: str | None = None,
    reference: str | None = None,
    direct_debit: bool = True,
    clock: Clock,
) -> SepaMandate:
    """Record a payer's mandate (staff). One active mandate per household: the old one is
    revoked first, so the bank never receives two for the same invoices."""
    staff = require_staff(actor)
    household = await household_for(staff, household_id, FamilyData.BILLING)
    guardian = await Guardian.get_or_none(id=guardian_id, household_id=household.id)
    if guardian is None:
        raise NotFound("Responsable", "guardianId")
    errors: list[DomainError] = []
    if not guardian.is_payer:
        errors.append(
            _invalid(
                DirectDebitErrorCode.INVALID,
                "Le mandat est signé par le payeur du foyer : désignez-le d'abord comme payeur.",
                "guardianId",
            )
        )
    checked: IBAN | None = None
    bic_value = ""
    try:
        checked = checked_iban(iban)
        bic_value = checked_bic(bic, checked)
    except DomainError as error:
        errors.append(error)
    if signed_on > clock.now().date():
        errors.append(
            _invalid(
                DirectDebitErrorCode.INVALID,
                "La date de signature ne peut pas être dans le futur.",
                "signedOn",
            )
        )
    rum = (reference or "").strip()
    if rum and not _RUM.match(rum):
        errors.append(
            _invalid(
                DirectDebitErrorCode.INVALID,
                "La référence unique de mandat (RUM) : 35 caractères au plus, lettres, "
                "chiffres et / - ? : ( ) . , ' +.",
                "reference",
            )
        )
    holder = (holder_name or f"{guardian.first_names} {guardian.last_name}").strip()[:70]
    if errors or checked is None:
        raise ValidationErrors(errors)
    async with atomic():
        if await SepaMandate.exists(household_id=household.id, status=MandateStatus.ACTIVE):
            raise _invalid(
                DirectDebitErrorCode.MANDATE_ALREADY_ACTIVE,
                "Ce foyer a déjà un mandat actif : révoquez-le avant d'en enregistrer un autre.",
                "householdId",
            )
        if not rum:
            count = await SepaMandate.filter(household_id=household.id).count()
            rum = f"FAM{household.tenant_id}-{household.id}-{count + 1}"
        if await SepaMandate.exists(tenant_id=household.tenant_id, reference=rum):
            raise _invalid(
                DirectDebitErrorCode.MANDATE_REFERENCE_TAKEN,
                "Cette référence de mandat (RUM) est déjà utilisée.",
                "reference",
            )
        mandate = await SepaMandate.create(
            tenant_id=household.tenant_id,
            household_id=household.id,
            guardian_id=guardian.id,
            reference=rum,
            holder_name=holder,
            iban=str(checked.compact),
            bic=bic_value,
            signed_on=signed_on,
            direct_debit=direct_debit,
            created_at=clock.now(),
        )
        await audit.record(
            "sepa.mandate_created",
            tenant_id=household.tenant_id,
            actor=staff,
            target_type="Household",
            target_id=household.id,
            clock=clock,
            details={"reference": rum, "iban_last4": mandate.iban[-4:]},
        )
    return mandate


async def _mandate_for(actor: Account | None, mandate_id: int) -> SepaMandate:
    mandate = await SepaMandate.get_or_none(id=mandate_id)
    if mandate is None:
        raise NotFound("Mandat", "mandateId")
    try:
        await household_for(actor, mandate.household_id, FamilyData.BILLING)
    except DomainError as error:
        if error.code.value == "NOT_FOUND":
            raise NotFound("Mandat", "mandateId") from error
        raise
    return mandate


async def revoke_mandate(
    actor: Account | None, mandate_id: int, reason: str, *, clock: Clock
) -> SepaMandate:
    """Staff end a mandate (the payer's letter, a closed account): no later export uses it."""
    staff = require_staff(actor)
    mandate = await _mandate_for(staff, mandate_id)
    async with atomic():
        updated = await SepaMandate.filter(id=mandate.id, status=MandateStatus.ACTIVE).update(
            status=MandateStatus.REVOKED,
            revoked_at=clock.now(),
            revoked_reason=reason.strip()[:250] or "Révoqué par la régie",
        )
        if not updated:
            raise _invalid(
                DirectDebitErrorCode.MANDATE_REVOKED, "Ce mandat est déjà révoqué.", "mandateId"
            )
        await audit.record(
            "sepa.mandate_revoked",
            tenant_id=mandate.tenant_id,
            actor=staff,
            target_type="Household",
            target_id=mandate.household_id,
            clock=clock,
            details={"reference": mandate.reference, "reason": reason.strip()[:250]},
        )
    await mandate.refresh_from_db()
    return mandate


async def choose_direct_debit(
    actor: Account | None, household_id: int, enabled: bool, *, clock: Clock
) -> SepaMandate:
    """The household's choice (a parent of it, or staff): pay invoices by direct debit
    under its active mandate, or not (card, cheque at the régie)."""
    household = await household_for(actor, household_id, FamilyData.BILLING)
    mandate = await SepaMandate.get_or_none(household_id=household.id, status=MandateStatus.ACTIVE)
    if mandate is None:
        raise NotFound("Mandat actif", "householdId")
    mandate.direct_debit = enabled
    async with atomic():
        await mandate.save(update_fields=["direct_debit"])
        await audit.record(
            "sepa.direct_debit_chosen" if enabled else "sepa.direct_debit_stopped",
            tenant_id=household.tenant_id,
            actor=actor,
            target_type="Household",
            target_id=household.id,
            clock=clock,
            details={"reference": mandate.reference},
        )
    return mandate


async def mandates_of(actor: Account | None, household_id: int) -> list[SepaMandate]:
    """A household's mandates, active first then newest (its parents and staff)."""
    household = await household_for(actor, household_id, FamilyData.BILLING)
    rows = await SepaMandate.filter(household_id=household.id).order_by("-id")
    return sorted(rows, key=lambda row: row.status != MandateStatus.ACTIVE)


async def mandates_page(
    actor: Account | None, household_id: int, *, first: int, after_id: int | None
) -> Page[SepaMandate]:
    """A page of ``mandates_of`` (``after_id``: the last mandate shown)."""
    household = await household_for(actor, household_id, FamilyData.BILLING)
    rows = (
        await SepaMandate.filter(household_id=household.id)
        .order_by("-id")
        .values_list("id", "status")
    )
    ordered = sorted(rows, key=lambda row: row[1] != MandateStatus.ACTIVE)
    return await page_of_ids(
        [pk for pk, _ in ordered],
        lambda wanted: SepaMandate.filter(id__in=wanted),
        first=first,
        after_id=after_id,
    )
