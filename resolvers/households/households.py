"""Family files: created by staff, linked by parents with an access key, edited by both."""

import re
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from tortoise.expressions import Q

from models.accounts import Account, AccountRole, Civility
from models.households import AccessKey, Child, Contact, ContactKind, Diet, Guardian, Household
from models.requests import RequestKind, RequestStatus
from models.tenants import Tenant
from resolvers.core import audit
from resolvers.core.clock import Clock
from resolvers.core.errors import (
    DomainError,
    Forbidden,
    HouseholdErrorCode,
    NotAuthenticated,
    NotFound,
    ValidationErrors,
)
from resolvers.core.french import format_date
from resolvers.core.outbox import queue_mail
from resolvers.core.roles import FamilyData, require_family_data
from resolvers.core.roles import require_staff as require_staff  # the guard, re-exported
from resolvers.core.security import digest, new_access_key, normalise_access_key
from resolvers.core.transactions import atomic
from resolvers.households.requests import open_request
from settings import get_settings

# References generated from the row id; typed ones may not take this shape (no collision).
_GENERATED_REFERENCE = re.compile(r"^F\d{6}$")

_CONTACT_KIND_LABELS = {
    ContactKind.DOCTOR: "médecin",
    ContactKind.EMERGENCY: "personne à prévenir",
    ContactKind.AUTHORISED_PICKUP: "personne autorisée à récupérer les enfants",
}


@dataclass
class GuardianForm:
    civility: Civility
    last_name: str
    first_names: str
    relationship: str = ""
    email: str = ""
    phone_mobile: str = ""
    phone_work: str = ""
    is_payer: bool = False


@dataclass
class ChildForm:
    last_name: str
    first_names: str
    birth_date: date
    school_class: str = ""
    health_notes: str = ""
    has_pai: bool = False
    pai_details: str = ""
    diet: Diet = Diet.STANDARD


@dataclass
class HouseholdForm:
    """What a town agent types to open a family file."""

    name: str
    address_line: str = ""
    address_complement: str = ""
    postal_code: str = ""
    city: str = ""
    phone: str = ""
    email: str = ""
    reference: str = ""
    family_quotient: int | None = None
    family_quotient_valid_until: date | None = None
    paperless: bool = False
    guardians: list[GuardianForm] = field(default_factory=list)
    children: list[ChildForm] = field(default_factory=list)


@dataclass
class ContactDetailsForm:
    """Fields a parent may change; None leaves a field as it is."""

    email: str | None = None
    phone_mobile: str | None = None
    phone_work: str | None = None
    address_line: str | None = None
    address_complement: str | None = None
    postal_code: str | None = None
    city: str | None = None


@dataclass
class ContactForm:
    kind: ContactKind
    last_name: str
    phone: str
    first_names: str = ""
    relationship: str = ""
    notes: str = ""


@dataclass
class IssuedAccessKey:
    """The key in clear, shown once to the agent (and mailed to the guardian if possible)."""

    key: str
    access_key: AccessKey
    guardian: Guardian
    mailed_to: str | None


async def household_for(
    actor: Account | None, household_id: int, data: FamilyData = FamilyData.FILE
) -> Household:
    """The one access rule of family files: its guardians, or staff of its town whose role
    reaches ``data`` (a site member never; a régisseur the billing part only).

    The calendar's hot path states the same rule in SQL (calendar._access_predicate).
    """
    if actor is None:
        raise NotAuthenticated()
    require_family_data(actor, data)
    household = await Household.get_or_none(id=household_id)
    if household is None:
        raise NotFound("Foyer", "householdId")
    if actor.role == AccountRole.PARENT:
        if not await Guardian.exists(household_id=household_id, account_id=actor.id):
            raise NotFound("Foyer", "householdId")
    elif household.tenant_id != actor.tenant_id:
        raise NotFound("Foyer", "householdId")
    return household


async def guardian_emails(household_id: int) -> list[str]:
    """Where the town writes about a household: its guardians who have an account and did
    not ask (through the town) to be left out of its mails."""
    emails = await Account.filter(
        guardianships__household_id=household_id, guardianships__receives_mail=True
    ).values_list("email", flat=True)
    return sorted({str(email) for email in emails})


async def households_of(actor: Account | None) -> list[Household]:
    """The family files an account is a guardian of (usually one)."""
    if actor is None:
        raise NotAuthenticated()
    return await Household.filter(guardians__account_id=actor.id).order_by("id").distinct()


async def search_households(
    actor: Account | None,
    *,
    search: str,
    first: int,
    after_id: int | None,
    archived: bool | None = False,
) -> tuple[list[Household], bool, int]:
    """Staff list of the town's family files, by name or reference, in id order; archived
    files only when asked (``archived`` true: only them, None: all).

    Roles: AGENT
    """
    staff = require_staff(actor)
    query = Household.filter(tenant_id=staff.tenant_id)
    if archived is not None:
        query = query.filter(archived_at__isnull=not archived)
    if search.strip():
        term = search.strip()
        query = query.filter(Q(name__icontains=term) | Q(reference__iexact=term))
    total = await query.count()
    if after_id is not None:
        query = query.filter(id__gt=after_id)
    rows = await query.order_by("id").limit(first + 1)
    return rows[:first], len(rows) > first, total


async def create_household(
    form: HouseholdForm, *, actor: Account | None, clock: Clock
) -> Household:
    """Open a family file with its guardians and children (staff only)."""
    staff = require_staff(actor)
    problems = []
    if not form.name.strip():
        problems.append(
            DomainError(HouseholdErrorCode.REQUIRED, "Le nom du foyer est obligatoire.", "name")
        )
    if not form.guardians:
        problems.append(
            DomainError(
                HouseholdErrorCode.REQUIRED, "Un foyer a au moins un responsable.", "guardians"
            )
        )
    for index, guardian in enumerate(form.guardians):
        if not guardian.last_name.strip() or not guardian.first_names.strip():
            problems.append(
                DomainError(
                    HouseholdErrorCode.REQUIRED,
                    "Nom et prénom du responsable obligatoires.",
                    f"guardians.{index}",
                )
            )
    for index, child in enumerate(form.children):
        if not child.first_names.strip():
            problems.append(
                DomainError(
                    HouseholdErrorCode.REQUIRED,
                    "Le prénom de l'enfant est obligatoire.",
                    f"children.{index}",
                )
            )
        if child.birth_date > clock.now().date():
            problems.append(
                DomainError(
                    HouseholdErrorCode.INVALID,
                    "La date de naissance est dans le futur.",
                    f"children.{index}.birthDate",
                )
            )
    tenant_id: int = staff.tenant_id
    reference = form.reference.strip()
    if _GENERATED_REFERENCE.match(reference):
        problems.append(
            DomainError(
                HouseholdErrorCode.INVALID,
                "Les numéros de la forme F000123 sont attribués automatiquement : laissez le "
                "champ vide ou utilisez la numérotation de la commune.",
                "reference",
            )
        )
    elif reference and await Household.exists(tenant_id=tenant_id, reference=reference):
        problems.append(
            DomainError(
                HouseholdErrorCode.REFERENCE_TAKEN,
                f"Le numéro de dossier {reference} existe déjà.",
                "reference",
            )
        )
    if problems:
        raise ValidationErrors(problems)
    async with atomic():
        household = await Household.create(
            tenant_id=tenant_id,
            reference=reference or f"tmp-{uuid.uuid4().hex[:24]}",
            name=form.name.strip(),
            address_line=form.address_line.strip(),
            address_complement=form.address_complement.strip(),
            postal_code=form.postal_code.strip(),
            city=form.city.strip(),
            phone=form.phone.strip(),
            email=form.email.strip().lower(),
            family_quotient=form.family_quotient,
            family_quotient_valid_until=form.family_quotient_valid_until,
            paperless=form.paperless,
            created_at=clock.now(),
        )
        if not reference:
            # The dossier number the town prints: stable, short, derived from the row id.
            household.reference = f"F{household.id:06d}"
            await household.save(update_fields=["reference"])
        await Guardian.bulk_create(
            [Guardian(household=household, **asdict(guardian)) for guardian in form.guardians]
        )
        await Child.bulk_create(
            [Child(household=household, **asdict(child)) for child in form.children]
        )
        await audit.record(
            "household.create",
            tenant_id=tenant_id,
            actor=staff,
            target_type="household",
            target_id=household.id,
            clock=clock,
            details={"guardians": len(form.guardians), "children": len(form.children)},
        )
    return household


async def issue_access_key(
    guardian_id: int, *, actor: Account | None, clock: Clock
) -> IssuedAccessKey:
    """A new single-use key for one guardian; earlier unused keys of theirs stop working."""
    staff = require_staff(actor)
    guardian = await Guardian.get_or_none(id=guardian_id).select_related("household__tenant")
    if guardian is None or guardian.household.tenant_id != staff.tenant_id:
        raise NotFound("Responsable", "guardianId")
    tenant: Tenant = guardian.household.tenant
    key = new_access_key()
    now = clock.now()
    expires_at = now + timedelta(days=get_settings().access_key_ttl_days)
    async with atomic():
        await AccessKey.filter(guardian=guardian, used_at__isnull=True, expires_at__gt=now).update(
            expires_at=now
        )
        access_key = await AccessKey.create(
            guardian=guardian, key_hash=digest(key), expires_at=expires_at
        )
        mailed_to = guardian.email or None
        if mailed_to:
            await queue_mail(
                mailed_to,
                "access_key",
                {
                    "town": tenant.name,
                    "first_names": guardian.first_names,
                    "household": guardian.household.name,
                    "key": key,
                    "valid_until": format_date(expires_at.date()),
                    "link": f"{get_settings().public_url}/graphql",
                },
                clock=clock,
            )
        await audit.record(
            "access_key.issue",
            tenant_id=tenant.id,
            actor=staff,
            target_type="guardian",
            target_id=guardian.id,
            clock=clock,
            details={"mailed": bool(mailed_to)},
        )
    return IssuedAccessKey(key=key, access_key=access_key, guardian=guardian, mailed_to=mailed_to)


async def link_household(actor: Account | None, key: str, *, clock: Clock) -> Household:
    """Attach a parent's account to the guardian the key was issued for."""
    if actor is None:
        raise NotAuthenticated()
    if actor.role != AccountRole.PARENT:
        raise Forbidden("Les clés d'accès relient des comptes de parents, pas d'agents.")
    async with atomic():
        access_key = (
            await AccessKey.filter(key_hash=digest(normalise_access_key(key)))
            .select_for_update()
            .first()
        )
        household = None
        if access_key is not None:
            await access_key.fetch_related("guardian__household")
            household = access_key.guardian.household
        if access_key is None or household is None or (household.tenant_id != actor.tenant_id):
            raise DomainError(
                HouseholdErrorCode.ACCESS_KEY_INVALID,
                "Cette clé d'accès n'est pas reconnue. Vérifiez-la sur le courrier de la mairie.",
                "accessKey",
            )
        if access_key.used_at is not None:
            raise DomainError(
                HouseholdErrorCode.ACCESS_KEY_USED,
                "Cette clé d'accès a déjà été utilisée. Demandez-en une nouvelle à la mairie.",
                "accessKey",
            )
        if access_key.expires_at <= clock.now():
            raise DomainError(
                HouseholdErrorCode.ACCESS_KEY_EXPIRED,
                "Cette clé d'accès a expiré. Demandez-en une nouvelle à la mairie.",
                "accessKey",
            )
        guardian: Guardian = access_key.guardian
        if await Guardian.exists(household=household, account_id=actor.id):
            raise DomainError(
                HouseholdErrorCode.ALREADY_LINKED,
                "Votre compte est déjà relié à ce foyer.",
                "accessKey",
            )
        if guardian.account_id is not None:
            raise DomainError(
                HouseholdErrorCode.ALREADY_LINKED,
                "Ce responsable est déjà relié à un autre compte.",
                "accessKey",
            )
        guardian.account = actor
        guardian.email = guardian.email or actor.email
        await guardian.save(update_fields=["account_id", "email"])
        access_key.used_at = clock.now()
        access_key.used_by = actor
        await access_key.save(update_fields=["used_at", "used_by_id"])
        await audit.record(
            "household.link",
            tenant_id=household.tenant_id,
            actor=actor,
            target_type="household",
            target_id=household.id,
            clock=clock,
            details={"guardian": guardian.id},
        )
    return household


def _clean(value: str | None) -> str | None:
    return value.strip() if value is not None else None


async def update_contact_details(
    actor: Account | None, household_id: int, form: ContactDetailsForm, *, clock: Clock
) -> Household:
    """Change the household's address and the acting guardian's phone and e-mail."""
    household = await household_for(actor, household_id)
    assert actor is not None
    if form.postal_code is not None and not (
        form.postal_code.strip().isdigit() and len(form.postal_code.strip()) == 5
    ):
        raise DomainError(
            HouseholdErrorCode.INVALID, "Le code postal doit avoir 5 chiffres.", "postalCode"
        )
    if form.email is not None and "@" not in form.email:
        raise DomainError(HouseholdErrorCode.INVALID, "L'adresse e-mail n'est pas valide.", "email")
    changes: dict[str, Any] = {}
    async with atomic():
        for name in ("address_line", "address_complement", "postal_code", "city"):
            value = _clean(getattr(form, name))
            if value is not None and value != getattr(household, name):
                changes[name] = {"before": getattr(household, name), "after": value}
                setattr(household, name, value)
        await household.save()
        guardian = await Guardian.get_or_none(household=household, account_id=actor.id)
        if guardian is not None:
            for name in ("email", "phone_mobile", "phone_work"):
                value = _clean(getattr(form, name))
                if value is not None and value != getattr(guardian, name):
                    changes[name] = {"before": getattr(guardian, name), "after": value}
                    setattr(guardian, name, value)
            await guardian.save()
        await open_request(
            household,
            RequestKind.CONTACT_DETAILS_UPDATE,
            "Mise à jour des coordonnées" if changes else "Coordonnées confirmées sans changement",
            actor=actor,
            clock=clock,
            status=RequestStatus.COMPLETED,
            payload={"changes": changes},
        )
    return household


def _checked_contact(form: ContactForm) -> ContactForm:
    """The form with its text trimmed, or every field error at once."""
    form = ContactForm(
        kind=form.kind,
        last_name=form.last_name.strip(),
        phone=form.phone.strip(),
        first_names=form.first_names.strip(),
        relationship=form.relationship.strip(),
        notes=form.notes.strip(),
    )
    problems = []
    if not form.last_name:
        problems.append(
            DomainError(HouseholdErrorCode.REQUIRED, "Le nom est obligatoire.", "lastName")
        )
    if sum(ch.isdigit() for ch in form.phone) < 10:
        problems.append(
            DomainError(
                HouseholdErrorCode.INVALID,
                "Le numéro de téléphone doit avoir au moins 10 chiffres.",
                "phone",
            )
        )
    if problems:
        raise ValidationErrors(problems)
    return form


def _contact_label(form: ContactForm | Contact) -> str:
    name = f"{form.first_names} {form.last_name}".strip()
    return f"{name} ({_CONTACT_KIND_LABELS[ContactKind(form.kind)]})"


CONTACT_REQUEST_SUMMARIES = {
    RequestKind.CONTACT_ADD: "Ajout du contact",
    RequestKind.CONTACT_UPDATE: "Modification du contact",
    RequestKind.CONTACT_REMOVE: "Suppression du contact",
}


def contact_request_summary(kind: RequestKind, label: str) -> str:
    """« Ajout du contact Paul Lemoine (personne autorisée…) »; retention writes it again
    with an anonymous label (resolvers/privacy)."""
    return f"{CONTACT_REQUEST_SUMMARIES[kind]} {label}"


async def add_contact(
    actor: Account | None, household_id: int, form: ContactForm, *, clock: Clock
) -> Contact:
    household = await household_for(actor, household_id)
    assert actor is not None
    form = _checked_contact(form)
    async with atomic():
        contact = await Contact.create(household=household, **asdict(form))
        await open_request(
            household,
            RequestKind.CONTACT_ADD,
            contact_request_summary(RequestKind.CONTACT_ADD, _contact_label(form)),
            actor=actor,
            clock=clock,
            status=RequestStatus.COMPLETED,
            payload={"contact": contact.id},
        )
    return contact


async def _contact_for(actor: Account | None, contact_id: int) -> tuple[Contact, Household]:
    if actor is None:
        raise NotAuthenticated()
    contact = await Contact.get_or_none(id=contact_id)
    if contact is None:
        raise NotFound("Contact", "contactId")
    try:
        household = await household_for(actor, contact.household_id)
    except NotFound:
        raise NotFound("Contact", "contactId") from None
    return contact, household


async def update_contact(
    actor: Account | None, contact_id: int, form: ContactForm, *, clock: Clock
) -> Contact:
    contact, household = await _contact_for(actor, contact_id)
    assert actor is not None
    form = _checked_contact(form)
    async with atomic():
        contact.update_from_dict(asdict(form))
        await contact.save()
        await open_request(
            household,
            RequestKind.CONTACT_UPDATE,
            contact_request_summary(RequestKind.CONTACT_UPDATE, _contact_label(form)),
            actor=actor,
            clock=clock,
            status=RequestStatus.COMPLETED,
            payload={"contact": contact.id},
        )
    return contact


async def remove_contact(actor: Account | None, contact_id: int, *, clock: Clock) -> None:
    contact, household = await _contact_for(actor, contact_id)
    assert actor is not None
    async with atomic():
        await open_request(
            household,
            RequestKind.CONTACT_REMOVE,
            contact_request_summary(RequestKind.CONTACT_REMOVE, _contact_label(contact)),
            actor=actor,
            clock=clock,
            status=RequestStatus.COMPLETED,
            payload={"contact": contact.id},
        )
        await contact.delete()
