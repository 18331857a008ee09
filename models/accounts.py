"""Logins (comptes) and the secrets attached to them: activation, reset, session tokens."""

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.authorities import BillingAuthority
    from models.catalogue import Site
    from models.tenants import Tenant


class AccountRole(StrEnum):
    """What an account may do: parents reach their household, staff their town's services.

    What each staff role may do is declared per operation (gql/access.py) and scoped per
    domain (resolvers/core/roles.py): ADMIN everything, AGENT the family side, REGISSEUR the
    money of the régies they are given, SITE the sheets and forecasts of their sites.
    """

    PARENT = "parent"
    AGENT = "agent"
    ADMIN = "admin"
    REGISSEUR = "regisseur"
    SITE = "site"


class Civility(StrEnum):
    """Civilité, as asked on every French administrative form."""

    MADAME = "mme"
    MONSIEUR = "m"


class ContactChannel(StrEnum):
    """« Moyen de contact préféré » of the sign-up form: how the town reaches the parent first."""

    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"
    POST = "post"


class TokenPurpose(StrEnum):
    """Why a token exists: each purpose has its own lifetime (see settings)."""

    ACTIVATION = "activation"
    PASSWORD_RESET = "password_reset"
    SESSION = "session"
    STAFF_INVITATION = "staff_invite"
    EMAIL_CHANGE = "email_change"


class Account(Model):
    """A login: an e-mail and a password, usable only once activated from the mailed link."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="accounts", on_delete=fields.RESTRICT
    )
    tenant_id: int
    email = fields.CharField(max_length=254, description="Stored lower-cased")
    password_hash = fields.CharField(max_length=255)
    role = fields.CharEnumField(AccountRole, max_length=16, default=AccountRole.PARENT)
    civility = fields.CharEnumField(Civility, max_length=8)
    last_name = fields.CharField(max_length=100, description="Nom d'usage")
    first_names = fields.CharField(max_length=150)
    birth_name = fields.CharField(max_length=100, default="", description="Nom de naissance")
    phone_mobile = fields.CharField(max_length=32, default="")
    phone_home = fields.CharField(max_length=32, default="")
    address_line = fields.CharField(max_length=200, default="")
    address_complement = fields.CharField(max_length=200, default="")
    postal_code = fields.CharField(max_length=10, default="")
    city = fields.CharField(max_length=100, default="")
    birth_date = fields.DateField(null=True, description="Date de naissance (optional)")
    birth_city = fields.CharField(max_length=100, default="", description="Commune de naissance")
    birth_department = fields.CharField(
        max_length=100, default="", description="Département de naissance"
    )
    birth_country = fields.CharField(max_length=100, default="", description="Pays de naissance")
    birth_place_code = fields.CharField(
        max_length=5,
        default="",
        description="INSEE code of the birth place as FranceConnect gives it (commune, or "
        "country for people born abroad)",
    )
    preferred_contact = fields.CharEnumField(
        ContactChannel, max_length=8, default=ContactChannel.EMAIL
    )
    cgu_version = fields.CharField(max_length=32)
    cgu_accepted_at = fields.DatetimeField()
    activated_at = fields.DatetimeField(null=True)
    is_disabled = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account"
        unique_together = (("tenant", "email"),)


class AccountToken(Model):
    """A secret handed to the user: only its SHA-256 is stored, so a leaked table is useless."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="tokens", on_delete=fields.CASCADE
    )
    account_id: int
    purpose = fields.CharEnumField(TokenPurpose, max_length=16)
    token_hash = fields.CharField(max_length=64, unique=True)
    # From the injected clock: a session's is the sign-in time « Dernière connexion » shows.
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    # Set when an activation/reset link is used or a session is logged out.
    consumed_at = fields.DatetimeField(null=True)
    new_email = fields.CharField(
        max_length=254, null=True, description="EMAIL_CHANGE: the address to confirm"
    )

    class Meta:
        table = "account_token"


class LoginAttempt(Model):
    """One login try: failures over a window throttle the e-mail and the client address."""

    id = fields.BigIntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="login_attempts", on_delete=fields.CASCADE
    )
    tenant_id: int
    email = fields.CharField(max_length=254)
    client_address = fields.CharField(max_length=64)
    succeeded = fields.BooleanField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "login_attempt"
        indexes = (
            ("tenant_id", "email", "created_at"),
            ("tenant_id", "client_address", "created_at"),
        )


class StaffAuthority(Model):
    """A régie a régisseur handles: they see and act on its money only."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="staff_authorities", on_delete=fields.CASCADE
    )
    account_id: int
    authority: fields.ForeignKeyRelation["BillingAuthority"] = fields.ForeignKeyField(
        "models.BillingAuthority", related_name="staff_members", on_delete=fields.CASCADE
    )
    authority_id: int

    class Meta:
        table = "staff_authority"
        unique_together = (("account", "authority"),)


class StaffSite(Model):
    """A site a site member works at: its attendance sheets and kitchen forecasts only."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="staff_sites", on_delete=fields.CASCADE
    )
    account_id: int
    site: fields.ForeignKeyRelation["Site"] = fields.ForeignKeyField(
        "models.Site", related_name="staff_members", on_delete=fields.CASCADE
    )
    site_id: int

    class Meta:
        table = "staff_site"
        unique_together = (("account", "site"),)


class FranceConnectLink(Model):
    """An account reachable through a FranceConnect identity: ``sub`` is the pseudonymous,
    stable identifier FranceConnect gives this service for one person."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="franceconnect_links", on_delete=fields.RESTRICT
    )
    tenant_id: int
    account: fields.OneToOneRelation["Account"] = fields.OneToOneField(
        "models.Account", related_name="franceconnect_link", on_delete=fields.CASCADE
    )
    account_id: int
    subject = fields.CharField(max_length=255, description="The ID token's sub claim")
    linked_at = fields.DatetimeField()

    class Meta:
        table = "franceconnect_link"
        unique_together = (("tenant", "subject"),)


class FranceConnectAttempt(Model):
    """A redirection to FranceConnect under way: its state and nonce, kept server-side and
    usable once, and the account to link when a signed-in parent asked for it."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="franceconnect_attempts", on_delete=fields.CASCADE
    )
    tenant_id: int
    state_hash = fields.CharField(max_length=64, unique=True)
    nonce = fields.CharField(max_length=64)
    link_account: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account",
        related_name="franceconnect_attempts",
        null=True,
        on_delete=fields.CASCADE,
    )
    link_account_id: int | None
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    consumed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "franceconnect_attempt"
