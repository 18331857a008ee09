"""Accounts: registration, activation, login with throttling, sessions, passwords."""

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from tortoise.exceptions import IntegrityError

from models.accounts import Account, AccountRole, AccountToken, Civility, LoginAttempt, TokenPurpose
from models.tenants import Tenant
from resolvers.core.clock import Clock
from resolvers.core.errors import AccountErrorCode, DomainError, NotAuthenticated, ValidationErrors
from resolvers.core.french import format_time
from resolvers.core.metrics import LOGINS_THROTTLED
from resolvers.core.outbox import queue_mail
from resolvers.core.security import digest, hash_password, new_token, verify_password
from resolvers.core.sql import Params, fetch
from resolvers.core.transactions import atomic
from settings import get_settings

# Deliberately loose: the activation mail is the real check of an address.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_POSTAL_CODE = re.compile(r"^\d{5}$")


@dataclass
class Registration:
    """What the 'Créer mon espace' form sends."""

    town: str
    email: str
    password: str
    civility: Civility
    last_name: str
    first_names: str
    accept_cgu: bool
    address_line: str
    postal_code: str
    city: str
    address_complement: str = ""
    birth_name: str = ""
    phone_mobile: str = ""
    phone_home: str = ""


@dataclass
class Session:
    """A fresh bearer token (shown once) and the account it opens."""

    token: str
    expires_at: datetime
    account: Account


async def get_town(slug: str) -> Tenant:
    tenant = await Tenant.get_or_none(slug=slug.strip().lower())
    if tenant is None:
        raise DomainError(
            AccountErrorCode.UNKNOWN_TOWN, f"Aucune commune « {slug} » sur ce portail.", "town"
        )
    return tenant


def password_problems(tenant: Tenant, password: str) -> DomainError | None:
    """The town's password policy, as one French sentence listing what is missing."""
    missing = []
    if len(password) < tenant.password_min_length:
        missing.append(f"au moins {tenant.password_min_length} caractères")
    if not any(ch.islower() for ch in password):
        missing.append("une lettre minuscule")
    if tenant.password_requires_uppercase and not any(ch.isupper() for ch in password):
        missing.append("une lettre majuscule")
    if not any(ch.isdigit() for ch in password):
        missing.append("un chiffre")
    if not missing:
        return None
    return DomainError(
        AccountErrorCode.PASSWORD_TOO_WEAK,
        "Le mot de passe doit contenir " + ", ".join(missing) + ".",
        "password",
    )


def _registration_problems(tenant: Tenant, form: Registration) -> list[DomainError]:
    problems: list[DomainError] = []
    if not form.accept_cgu:
        problems.append(
            DomainError(
                AccountErrorCode.CGU_NOT_ACCEPTED,
                "Vous devez accepter les conditions générales d'utilisation.",
                "acceptCgu",
            )
        )
    if not EMAIL.match(form.email.strip()):
        problems.append(
            DomainError(
                AccountErrorCode.EMAIL_INVALID, "L'adresse e-mail n'est pas valide.", "email"
            )
        )
    required = {
        "lastName": (form.last_name, "Le nom d'usage est obligatoire."),
        "firstNames": (form.first_names, "Le prénom est obligatoire."),
        "addressLine": (form.address_line, "L'adresse est obligatoire."),
        "city": (form.city, "La commune est obligatoire."),
    }
    for field, (value, message) in required.items():
        if not value.strip():
            problems.append(DomainError(AccountErrorCode.REQUIRED, message, field))
    if not _POSTAL_CODE.match(form.postal_code.strip()):
        problems.append(
            DomainError(
                AccountErrorCode.INVALID, "Le code postal doit avoir 5 chiffres.", "postalCode"
            )
        )
    weak = password_problems(tenant, form.password)
    if weak:
        problems.append(weak)
    return problems


async def issue_token(
    account: Account, purpose: TokenPurpose, lifetime: timedelta, *, clock: Clock
) -> tuple[str, datetime]:
    token = new_token()
    expires_at = clock.now() + lifetime
    await AccountToken.create(
        account=account, purpose=purpose, token_hash=digest(token), expires_at=expires_at
    )
    return token, expires_at


async def register(form: Registration, *, clock: Clock) -> Account:
    """Create an inactive account and mail its activation link, in one transaction."""
    settings = get_settings()
    tenant = await get_town(form.town)
    problems = _registration_problems(tenant, form)
    email = form.email.strip().lower()
    if not problems and await Account.exists(tenant=tenant, email=email):
        problems.append(_email_taken())
    if problems:
        raise ValidationErrors(problems)
    try:
        async with atomic():
            account = await Account.create(
                tenant=tenant,
                email=email,
                password_hash=hash_password(form.password),
                role=AccountRole.PARENT,
                civility=form.civility,
                last_name=form.last_name.strip(),
                first_names=form.first_names.strip(),
                birth_name=form.birth_name.strip(),
                phone_mobile=form.phone_mobile.strip(),
                phone_home=form.phone_home.strip(),
                address_line=form.address_line.strip(),
                address_complement=form.address_complement.strip(),
                postal_code=form.postal_code.strip(),
                city=form.city.strip(),
                cgu_version=tenant.cgu_version,
                cgu_accepted_at=clock.now(),
            )
            token, expires_at = await issue_token(
                account,
                TokenPurpose.ACTIVATION,
                timedelta(hours=settings.activation_ttl_hours),
                clock=clock,
            )
            await queue_mail(
                email,
                "activation",
                {
                    "town": tenant.name,
                    "first_names": account.first_names,
                    "link": f"{settings.public_url}/activation/{token}",
                    "valid_hours": settings.activation_ttl_hours,
                },
                clock=clock,
            )
    except IntegrityError:
        # Two submissions of the same form raced past the exists() check. No statement
        # follows the error, so joining the mutation's transaction needs no savepoint.
        raise ValidationErrors([_email_taken()]) from None
    return account


def _email_taken() -> DomainError:
    return DomainError(
        AccountErrorCode.EMAIL_TAKEN,
        "Un compte existe déjà avec cette adresse e-mail. Connectez-vous ou utilisez "
        "« Mot de passe oublié ».",
        "email",
    )


async def consume_token(token: str, purpose: TokenPurpose, *, clock: Clock) -> AccountToken:
    """Check a mailed single-use token and mark it used (under a row lock)."""
    row = (
        await AccountToken.filter(token_hash=digest(token.strip()), purpose=purpose)
        .select_for_update()
        .first()
    )
    if row is None:
        raise DomainError(AccountErrorCode.TOKEN_INVALID, "Ce lien n'est pas valide.", "token")
    if row.consumed_at is not None:
        raise DomainError(AccountErrorCode.TOKEN_USED, "Ce lien a déjà été utilisé.", "token")
    if row.expires_at <= clock.now():
        raise DomainError(
            AccountErrorCode.TOKEN_EXPIRED,
            "Ce lien a expiré. Demandez-en un nouveau depuis la page de connexion.",
            "token",
        )
    row.consumed_at = clock.now()
    await row.save(update_fields=["consumed_at"])
    await row.fetch_related("account")
    return row


async def activate(token: str, *, clock: Clock) -> Account:
    """Follow the activation link: the account can log in from now on."""
    async with atomic():
        row = await consume_token(token, TokenPurpose.ACTIVATION, clock=clock)
        account: Account = row.account
        if account.activated_at is None:
            account.activated_at = clock.now()
            await account.save(update_fields=["activated_at"])
    return account


async def resend_activation(town: str, email: str, *, clock: Clock) -> None:
    """Mail a new activation link; silent when there is nothing to activate (no enumeration)."""
    settings = get_settings()
    tenant = await get_town(town)
    account = await Account.get_or_none(tenant=tenant, email=email.strip().lower())
    if account is None or account.activated_at is not None:
        return
    async with atomic():
        token, _ = await issue_token(
            account,
            TokenPurpose.ACTIVATION,
            timedelta(hours=settings.activation_ttl_hours),
            clock=clock,
        )
        await queue_mail(
            account.email,
            "activation",
            {
                "town": tenant.name,
                "first_names": account.first_names,
                "link": f"{settings.public_url}/activation/{token}",
                "valid_hours": settings.activation_ttl_hours,
            },
            clock=clock,
        )


async def _check_throttle(
    tenant: Tenant, email: str, client_address: str, *, clock: Clock
) -> float:
    """Refuse before checking the password when this e-mail failed too often; otherwise
    how many seconds this login waits because its client address failed often.

    An address is slowed down, never locked: one town hall or school behind a NAT is one
    address for everyone, and a locked address would lock them all out.
    """
    settings = get_settings()
    # A failure counts for exactly the window: at "retry at 10h15" it no longer does.
    window_start = clock.now() - timedelta(minutes=settings.login_window_minutes)
    last_success = (
        await LoginAttempt.filter(tenant=tenant, email=email, succeeded=True)
        .order_by("-id")
        .limit(1)
        .values_list("id", flat=True)
    )
    # A successful login clears the e-mail's count; the address's count only ages out.
    limit = settings.login_max_failures_per_account
    recent = cast(
        list[datetime],
        await LoginAttempt.filter(
            tenant=tenant,
            email=email,
            succeeded=False,
            created_at__gt=window_start,
            id__gt=last_success[0] if last_success else 0,
        )
        .order_by("-created_at")
        .limit(limit)
        .values_list("created_at", flat=True),
    )
    if len(recent) >= limit:
        LOGINS_THROTTLED.labels("locked").inc()
        retry_at = recent[-1] + timedelta(minutes=settings.login_window_minutes)
        raise DomainError(
            AccountErrorCode.TOO_MANY_ATTEMPTS,
            "Trop de tentatives de connexion échouées. Par sécurité, réessayez à partir de "
            f"{format_time(retry_at, tenant.timezone)} ou utilisez « Mot de passe oublié ».",
        )
    threshold = settings.login_max_failures_per_address
    # Past the threshold plus this many failures, the wait is at its longest anyway.
    enough = threshold + max(
        1, math.ceil(math.log2(max(settings.login_address_max_delay_seconds, 1)))
    )
    address_failures = len(
        await LoginAttempt.filter(
            tenant=tenant,
            client_address=client_address,
            succeeded=False,
            created_at__gt=window_start,
        )
        .limit(enough + 1)
        .values_list("id", flat=True)
    )
    return address_delay(address_failures)


def address_delay(failures: int) -> float:
    """Seconds a login waits after ``failures`` failed logins from its client address in the
    window: none below ``login_max_failures_per_address``, then 1 s, 2 s, 4 s… up to
    ``login_address_max_delay_seconds``."""
    settings = get_settings()
    over = failures - settings.login_max_failures_per_address
    if over < 0:
        return 0.0
    return float(min(2.0 ** min(over, 62), settings.login_address_max_delay_seconds))


async def login(
    town: str,
    email: str,
    password: str,
    *,
    client_address: str,
    clock: Clock,
    accept_cgu: bool = False,
) -> Session:
    """Check the password (an e-mail that failed too often is locked, an address that failed
    too often waits) and open a session; terms changed since the account accepted them
    must be accepted now."""
    settings = get_settings()
    tenant = await get_town(town)
    email = email.strip().lower()
    delay = await _check_throttle(tenant, email, client_address, clock=clock)
    if delay:
        LOGINS_THROTTLED.labels("delayed").inc()
        # Before the password is checked, right or wrong: how long the answer takes tells
        # nothing about the password.
        await clock.sleep(delay)
    account = await Account.get_or_none(tenant=tenant, email=email)
    ok = verify_password(account.password_hash if account else None, password)
    await LoginAttempt.create(
        tenant=tenant,
        email=email,
        client_address=client_address,
        succeeded=ok,
        created_at=clock.now(),
    )
    if account is None or not ok or account.is_disabled:
        raise DomainError(
            AccountErrorCode.INVALID_CREDENTIALS, "Adresse e-mail ou mot de passe incorrect."
        )
    if account.activated_at is None:
        raise DomainError(
            AccountErrorCode.ACCOUNT_NOT_ACTIVATED,
            "Votre compte n'est pas encore activé : cliquez sur le lien reçu par e-mail "
            "(pensez à vos courriers indésirables) ou demandez un nouveau lien.",
        )
    if account.cgu_version != tenant.cgu_version:
        if not accept_cgu:
            raise DomainError(
                AccountErrorCode.CGU_NOT_ACCEPTED,
                f"Les conditions générales d'utilisation ont changé (version "
                f"{tenant.cgu_version}) : lisez-les et acceptez-les pour continuer.",
                "acceptCgu",
            )
        account.cgu_version, account.cgu_accepted_at = tenant.cgu_version, clock.now()
        await account.save(update_fields=["cgu_version", "cgu_accepted_at"])
    token, expires_at = await issue_token(
        account, TokenPurpose.SESSION, timedelta(hours=settings.session_ttl_hours), clock=clock
    )
    account.tenant = tenant
    return Session(token=token, expires_at=expires_at, account=account)


async def authenticate(token: str, *, clock: Clock) -> tuple[Account, int] | None:
    """The account behind a bearer token and the token's row id, or None if not valid.

    Every request asks it first: one handwritten statement, and the account built from its
    row as Tortoise builds query results (``_init_from_db``), because building the same
    query with Tortoise costs about a millisecond of CPU per request.
    """
    params = Params()
    rows = await fetch(
        f"""SELECT t.id AS session_id, a.*
            FROM account_token t JOIN account a ON a.id = t.account_id
            WHERE t.token_hash = {params(digest(token))}
              AND t.purpose = {params(TokenPurpose.SESSION.value)}
              AND t.consumed_at IS NULL AND t.expires_at > {params(clock.now())}
              AND NOT a.is_disabled AND a.activated_at IS NOT NULL""",
        params,
    )
    if not rows:
        return None
    return Account._init_from_db(**rows[0]), rows[0]["session_id"]


async def logout(session_id: int, *, clock: Clock) -> None:
    """Revoke the current bearer token."""
    await AccountToken.filter(id=session_id, consumed_at__isnull=True).update(
        consumed_at=clock.now()
    )


async def revoke_sessions(account: Account, *, keep: int | None, clock: Clock) -> None:
    query = AccountToken.filter(
        account=account, purpose=TokenPurpose.SESSION, consumed_at__isnull=True
    )
    if keep is not None:
        query = query.exclude(id=keep)
    await query.update(consumed_at=clock.now())


async def change_password(
    account: Account | None, current: str, new: str, *, session_id: int | None, clock: Clock
) -> None:
    """Change the password and log out every other device."""
    if account is None:
        raise NotAuthenticated()
    if not verify_password(account.password_hash, current):
        raise DomainError(
            AccountErrorCode.WRONG_PASSWORD,
            "Le mot de passe actuel est incorrect.",
            "currentPassword",
        )
    tenant = await Tenant.get(id=account.tenant_id)
    weak = password_problems(tenant, new)
    if weak:
        weak.field = "newPassword"
        raise weak
    async with atomic():
        account.password_hash = hash_password(new)
        await account.save(update_fields=["password_hash"])
        await revoke_sessions(account, keep=session_id, clock=clock)
        await queue_mail(
            account.email,
            "password_changed",
            {"town": tenant.name, "first_names": account.first_names},
            clock=clock,
        )


async def request_password_reset(town: str, email: str, *, clock: Clock) -> None:
    """Mail a reset link if the account exists; the answer is the same either way."""
    settings = get_settings()
    tenant = await get_town(town)
    account = await Account.get_or_none(tenant=tenant, email=email.strip().lower())
    if account is None or account.is_disabled:
        return
    async with atomic():
        token, _ = await issue_token(
            account,
            TokenPurpose.PASSWORD_RESET,
            timedelta(minutes=settings.password_reset_ttl_minutes),
            clock=clock,
        )
        await queue_mail(
            account.email,
            "password_reset",
            {
                "town": tenant.name,
                "first_names": account.first_names,
                "link": f"{settings.public_url}/mot-de-passe/{token}",
                "valid_minutes": settings.password_reset_ttl_minutes,
            },
            clock=clock,
        )


async def reset_password(token: str, new: str, *, clock: Clock) -> Account:
    """Set a new password from the mailed link; every session is closed."""
    async with atomic():
        row = await consume_token(token, TokenPurpose.PASSWORD_RESET, clock=clock)
        account: Account = row.account
        tenant = await Tenant.get(id=account.tenant_id)
        weak = password_problems(tenant, new)
        if weak:
            weak.field = "newPassword"
            raise weak
        account.password_hash = hash_password(new)
        # Receiving the mail proves the address, like the activation link does.
        account.activated_at = account.activated_at or clock.now()
        await account.save(update_fields=["password_hash", "activated_at"])
        await revoke_sessions(account, keep=None, clock=clock)
    return account
