"""Towns: created by the operator with a first administrator, then set up by them.

The rules an administrator sets are the tenant's columns every domain already reads: the
password policy (accounts), the terms' text and version (a new version is accepted at the
next login), the time zone (deadlines, reminders, invoices), the first-illness-day rule
(absences), the block on new bookings while an invoice is unpaid past its due date
(calendar), and the name printed on PDFs and mails and the postal address heading invoices.
"""

import io
import re
from dataclasses import dataclass, fields
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from PIL import Image, UnidentifiedImageError

from models.accounts import Account, AccountRole
from models.tenants import Tenant, TownLogo
from resolvers.accounts.accounts import EMAIL
from resolvers.core import audit
from resolvers.core.clock import Clock
from resolvers.core.errors import AccountErrorCode, DomainError, ValidationErrors
from resolvers.core.roles import require_admin, require_staff
from resolvers.core.transactions import atomic
from resolvers.staff.staff import Invitation, RoleForm, send_invitation
from settings import get_settings

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
# Bounds a town may choose: below 8 characters a password is too easy to guess.
PASSWORD_MIN_LENGTH_RANGE = (8, 64)
# A logo heads a page: larger pictures are refused rather than shrunk (and never decoded
# past their header, so a crafted file cannot make the server allocate a huge bitmap).
LOGO_MAX_SIDE = 4000
_LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
UNPAID_BLOCK_DAYS_RANGE = (1, 365)


@dataclass
class TownRules:
    """What ``updateTown`` changes; None leaves a rule as it is."""

    name: str | None = None
    postal_address: str | None = None
    contact_email: str | None = None
    timezone: str | None = None
    password_min_length: int | None = None
    password_requires_uppercase: bool | None = None
    cgu_version: str | None = None
    cgu_text: str | None = None
    first_illness_day_without_certificate: bool | None = None
    unpaid_block_days: int | None = None
    # unpaid_block_days None means "unchanged"; this says "no block any more".
    clear_unpaid_block: bool = False


def _invalid(message: str, field_name: str) -> DomainError:
    return DomainError(AccountErrorCode.INVALID, message, field_name)


async def create_town(
    slug: str, name: str, admin_email: str, *, clock: Clock
) -> tuple[Tenant, Invitation]:
    """The operator's one command: a town and its first administrator's invitation."""
    slug = slug.strip().lower()
    problems = []
    if not _SLUG.match(slug):
        problems.append(
            _invalid(
                "Le nom court ne contient que des minuscules, des chiffres et des tirets.", "slug"
            )
        )
    if not name.strip():
        problems.append(DomainError(AccountErrorCode.REQUIRED, "Le nom est obligatoire.", "name"))
    if problems:
        raise ValidationErrors(problems)
    async with atomic():
        if await Tenant.exists(slug=slug):
            raise _invalid(f"Une commune « {slug} » existe déjà.", "slug")
        tenant = await Tenant.create(slug=slug, name=name.strip())
        await audit.record(
            "town.create",
            tenant_id=tenant.id,
            actor=None,
            target_type="tenant",
            target_id=tenant.id,
            clock=clock,
            details={"slug": slug, "name": tenant.name},
        )
        invitation = await send_invitation(
            tenant, admin_email, RoleForm(AccountRole.ADMIN), actor=None, clock=clock
        )
    return tenant, invitation


async def town_of(actor: Account | None) -> Tenant:
    """The staff member's town with its rules."""
    staff = require_staff(actor)
    return await Tenant.get(id=staff.tenant_id)


def _rule_problems(rules: TownRules) -> list[DomainError]:
    problems = []
    if rules.name is not None and not rules.name.strip():
        problems.append(DomainError(AccountErrorCode.REQUIRED, "Le nom est obligatoire.", "name"))
    if rules.contact_email and not EMAIL.match(rules.contact_email.strip()):
        problems.append(
            DomainError(
                AccountErrorCode.EMAIL_INVALID, "L'adresse e-mail n'est pas valide.", "contactEmail"
            )
        )
    if rules.timezone is not None:
        try:
            valid = rules.timezone in available_timezones() and bool(ZoneInfo(rules.timezone))
        except (ZoneInfoNotFoundError, ValueError):
            valid = False
        if not valid:
            problems.append(
                _invalid("Fuseau horaire inconnu (exemple : Europe/Paris).", "timeZone")
            )
    low, high = PASSWORD_MIN_LENGTH_RANGE
    if rules.password_min_length is not None and not low <= rules.password_min_length <= high:
        problems.append(
            _invalid(
                f"La longueur minimale du mot de passe va de {low} à {high} caractères.",
                "passwordMinLength",
            )
        )
    low, high = UNPAID_BLOCK_DAYS_RANGE
    if rules.unpaid_block_days is not None and not low <= rules.unpaid_block_days <= high:
        problems.append(_invalid(f"Le délai va de {low} à {high} jours.", "unpaidBlockDays"))
    if rules.cgu_version is not None and not rules.cgu_version.strip():
        problems.append(
            DomainError(
                AccountErrorCode.REQUIRED,
                "La version des conditions est obligatoire.",
                "cguVersion",
            )
        )
    return problems


class Upload(Protocol):
    """What the multipart parser hands over (Starlette's UploadFile)."""

    async def read(self, size: int = -1) -> bytes: ...


@dataclass(frozen=True)
class CheckedLogo:
    """A logo whose bytes decode as a PNG or JPEG picture of a sensible size."""

    content: bytes
    content_type: str
    width: int
    height: int


async def check_logo(upload: Upload) -> CheckedLogo:
    """Read the uploaded logo and decode its header: what the PDFs will draw must be a
    picture, whatever the file's name says."""
    limit = get_settings().town_logo_max_kb * 1024
    data = await upload.read(limit + 1)
    if not data:
        raise _invalid("Le fichier du logo est vide.", "logo")
    if len(data) > limit:
        raise _invalid(f"Le logo dépasse la taille maximale de {limit // 1024} Ko.", "logo")
    try:
        with Image.open(io.BytesIO(data)) as picture:
            kind, (width, height) = picture.format, picture.size
            picture.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        kind, width, height = None, 0, 0
    if kind not in _LOGO_TYPES:
        raise _invalid(
            "Le logo doit être une image PNG ou JPEG lisible : son contenu a été vérifié, "
            "quel que soit son nom.",
            "logo",
        )
    if not (0 < width <= LOGO_MAX_SIDE and 0 < height <= LOGO_MAX_SIDE):
        raise _invalid(
            f"Le logo mesure {width} × {height} pixels : {LOGO_MAX_SIDE} au plus de chaque côté.",
            "logo",
        )
    return CheckedLogo(data, _LOGO_TYPES[kind], width, height)


async def update_town(
    actor: Account | None, rules: TownRules, *, clock: Clock, logo: CheckedLogo | None = None
) -> Tenant:
    """An administrator sets the town's rules (and its logo); the audit keeps what changed,
    before/after."""
    admin = require_admin(actor)
    problems = _rule_problems(rules)
    if problems:
        raise ValidationErrors(problems)
    async with atomic():
        tenant = await Tenant.filter(id=admin.tenant_id).select_for_update().get()
        changed: dict[str, Any] = {}
        if logo is not None:
            await _save_logo(tenant, logo, clock)
            changed["logo"] = ["…", f"{logo.content_type} {logo.width}×{logo.height}"]
        for rule in fields(TownRules):
            value = getattr(rules, rule.name)
            if rule.name == "clear_unpaid_block" or value is None:
                continue
            if isinstance(value, str):
                value = value.strip() if rule.name != "cgu_text" else value
            if getattr(tenant, rule.name) != value:
                changed[rule.name] = [getattr(tenant, rule.name), value]
                setattr(tenant, rule.name, value)
        if rules.clear_unpaid_block and tenant.unpaid_block_days is not None:
            changed["unpaid_block_days"] = [tenant.unpaid_block_days, None]
            tenant.unpaid_block_days = None
        if changed:
            if set(changed) - {"logo"}:
                await tenant.save(update_fields=[key for key in changed if key != "logo"])
            await audit.record(
                "town.update",
                tenant_id=tenant.id,
                actor=admin,
                target_type="tenant",
                target_id=tenant.id,
                clock=clock,
                # The terms' text can be long: the audit says it changed, not what it says.
                details={
                    key: (["…", "…"] if key == "cgu_text" else value)
                    for key, value in changed.items()
                },
            )
    return tenant


async def _save_logo(tenant: Tenant, logo: CheckedLogo, clock: Clock) -> None:
    values: dict[str, Any] = {
        "content": logo.content,
        "content_type": logo.content_type,
        "width": logo.width,
        "height": logo.height,
        "updated_at": clock.now(),
    }
    if await TownLogo.filter(tenant_id=tenant.id).update(**values) == 0:
        await TownLogo.create(tenant_id=tenant.id, **values)
