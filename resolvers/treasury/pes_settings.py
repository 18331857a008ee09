"""A régie's PES model: what Hélios knows the town by (SIRET, poste comptable, collectivity
and budget codes), the product code and nature its activities are sent under, and whether
the invoice PDFs go in the file. Checked here, when the admin saves them, so that an export
only fails on the month's data (a debtor without an address), never on the set-up."""

import re
from dataclasses import dataclass, field
from datetime import datetime

from models.accounts import Account
from models.authorities import BillingAuthority
from models.catalogue import Activity
from models.treasury import PesActivityCode, PesSettings
from resolvers.core import audit
from resolvers.core.clock import Clock
from resolvers.core.errors import DomainError, NotFound, TreasuryErrorCode, ValidationErrors
from resolvers.core.transactions import atomic
from resolvers.households.households import require_staff

# TREASURY.md §1: IdPost is a codique of 6–7 digits, or 02A/02B and 3–4 digits (Corsica).
_ACCOUNTING_POST = re.compile(r"^(\d{6,7}|02[AB]\d{3,4})$")
_COLLECTIVITY = re.compile(r"^[A-Z0-9]{3}$")
_BUDGET = re.compile(r"^[A-Z0-9]{2}$")
_PRODUCT = re.compile(r"^[A-Z0-9]{1,4}$")
_NATURE = re.compile(r"^\d{1,12}$")
_CODE = re.compile(r"^[A-Z0-9_-]{1,32}$")
# La Poste's establishments share one SIREN whose SIRETs do not pass Luhn (sum of digits
# divisible by 5 instead).
_LA_POSTE_SIREN = "356000000"


def _invalid(message: str, field: str) -> DomainError:
    return DomainError(TreasuryErrorCode.INVALID, message, field)


def siret_is_valid(siret: str) -> bool:
    """14 digits with the Luhn key of the INSEE (La Poste's own rule for its SIREN)."""
    if not re.fullmatch(r"\d{14}", siret):
        return False
    if siret.startswith(_LA_POSTE_SIREN):
        return sum(int(digit) for digit in siret) % 5 == 0
    total = 0
    for position, digit in enumerate(reversed(siret)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


@dataclass
class ActivityCodeForm:
    """An activity sent under its own product code (and nature) rather than the default."""

    activity_id: int
    product_code: str
    nature: str | None = None


@dataclass
class PesSettingsForm:
    code: str
    siret: str
    accounting_post: str
    collectivity_code: str
    budget_code: str
    product_code: str
    nature: str = "588"
    bordereau_subject: str = ""
    attach_invoice_pdf: bool = False
    activity_codes: list[ActivityCodeForm] = field(default_factory=list)


def _compact(value: str) -> str:
    return "".join(value.split()).upper()


def _checked(form: PesSettingsForm) -> tuple[dict[str, object], list[DomainError]]:
    values: dict[str, object] = {
        "code": _compact(form.code),
        "siret": _compact(form.siret),
        "accounting_post": _compact(form.accounting_post),
        "collectivity_code": _compact(form.collectivity_code),
        "budget_code": _compact(form.budget_code),
        "product_code": _compact(form.product_code),
        "nature": _compact(form.nature),
        "bordereau_subject": " ".join(form.bordereau_subject.split()),
        "attach_invoice_pdf": form.attach_invoice_pdf,
    }
    rules: list[tuple[str, bool, str]] = [
        ("code", bool(_CODE.match(str(values["code"]))), "Le code de la régie : lettres, "
         "chiffres, - ou _ (32 au plus)."),
        ("siret", siret_is_valid(str(values["siret"])), "Le SIRET de la collectivité (IdColl) "
         "doit compter 14 chiffres et avoir une clé valide."),
        ("accountingPost", bool(_ACCOUNTING_POST.match(str(values["accounting_post"]))),
         "Le poste comptable (IdPost) : le codique de la trésorerie, 6 ou 7 chiffres (02A ou "
         "02B suivi de 3 ou 4 chiffres en Corse)."),
        ("collectivityCode", bool(_COLLECTIVITY.match(str(values["collectivity_code"]))),
         "Le code collectivité (CodCol) compte exactement 3 caractères."),
        ("budgetCode", bool(_BUDGET.match(str(values["budget_code"]))),
         "Le code budget (CodBud) compte exactement 2 caractères."),
        ("productCode", bool(_PRODUCT.match(str(values["product_code"]))),
         "Le code produit (CodProdLoc) : 1 à 4 lettres ou chiffres, convenus avec la "
         "trésorerie."),
        ("nature", bool(_NATURE.match(str(values["nature"]))),
         "La nature comptable : 1 à 12 chiffres (588 pour un rôle ORMC)."),
        ("bordereauSubject", len(str(values["bordereau_subject"])) <= 160,
         "L'objet du bordereau compte 160 caractères au plus."),
    ]  # fmt: skip
    errors = [_invalid(message, name) for name, ok, message in rules if not ok]
    for index, entry in enumerate(form.activity_codes):
        if not _PRODUCT.match(_compact(entry.product_code)):
            errors.append(
                _invalid(
                    "Le code produit d'une activité : 1 à 4 lettres ou chiffres.",
                    f"activityCodes.{index}.productCode",
                )
            )
        if entry.nature is not None and not _NATURE.match(_compact(entry.nature)):
            errors.append(
                _invalid(
                    "La nature d'une activité : 1 à 12 chiffres.",
                    f"activityCodes.{index}.nature",
                )
            )
    return values, errors


async def update_pes_settings(
    actor: Account | None, authority_id: int, form: PesSettingsForm, *, clock: Clock
) -> PesSettings:
    """Create or replace a régie's PES model and its activities' product codes.

    Roles: ADMIN.
    """
    staff = require_staff(actor)
    authority = await BillingAuthority.get_or_none(id=authority_id, tenant_id=staff.tenant_id)
    if authority is None:
        raise NotFound("Régie", "authorityId")
    values, errors = _checked(form)
    activity_ids = [entry.activity_id for entry in form.activity_codes]
    known: set[int] = {
        int(str(activity_id))
        for activity_id in await Activity.filter(
            id__in=activity_ids, tenant_id=staff.tenant_id
        ).values_list("id", flat=True)
    }
    for index, activity_id in enumerate(activity_ids):
        if activity_id not in known:
            errors.append(
                DomainError(
                    TreasuryErrorCode.NOT_FOUND,
                    "Activité introuvable.",
                    f"activityCodes.{index}.activityId",
                )
            )
        elif activity_ids.index(activity_id) != index:
            errors.append(
                _invalid("Cette activité est déjà dans la liste.", f"activityCodes.{index}")
            )
    if errors:
        raise ValidationErrors(errors)
    now: datetime = clock.now()
    async with atomic():
        if (
            await PesSettings.filter(tenant_id=staff.tenant_id, code=values["code"])
            .exclude(authority_id=authority.id)
            .exists()
        ):
            raise _invalid("Une autre régie a déjà ce code.", "code")
        found = await PesSettings.get_or_none(authority_id=authority.id)
        if found is None:
            settings = PesSettings(
                tenant_id=staff.tenant_id, authority_id=authority.id, created_at=now
            )
            settings.update_from_dict({**values, "updated_at": now})
            await settings.save()
        else:
            settings = found
            settings.update_from_dict({**values, "updated_at": now})
            await settings.save()
        await PesActivityCode.filter(settings_id=settings.id).delete()
        await PesActivityCode.bulk_create(
            [
                PesActivityCode(
                    settings_id=settings.id,
                    activity_id=entry.activity_id,
                    product_code=_compact(entry.product_code),
                    nature=_compact(entry.nature) if entry.nature else settings.nature,
                )
                for entry in form.activity_codes
            ]
        )
        await audit.record(
            "pes.settings_saved",
            tenant_id=staff.tenant_id,
            actor=staff,
            target_type="BillingAuthority",
            target_id=authority.id,
            clock=clock,
            details={
                "siret": settings.siret,
                "accounting_post": settings.accounting_post,
                "activity_codes": len(form.activity_codes),
            },
        )
    return settings


async def pes_settings_of(actor: Account | None, authority_id: int) -> PesSettings | None:
    """A régie's PES model, or None if the admin has not set it (staff)."""
    staff = require_staff(actor)
    if not await BillingAuthority.exists(id=authority_id, tenant_id=staff.tenant_id):
        raise NotFound("Régie", "authorityId")
    return await PesSettings.get_or_none(authority_id=authority_id)


async def activity_codes_of(settings_ids: list[int]) -> dict[int, list[PesActivityCode]]:
    """The activity overrides of several PES models, in one statement."""
    by_settings: dict[int, list[PesActivityCode]] = {
        settings_id: [] for settings_id in settings_ids
    }
    for row in await PesActivityCode.filter(settings_id__in=settings_ids).order_by("id"):
        by_settings[row.settings_id].append(row)
    return by_settings
