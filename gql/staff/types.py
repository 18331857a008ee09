"""Staff area types: the town's rules as staff read them, and staff members."""

from datetime import datetime

import strawberry

from gql.ids import encode_id
from models.accounts import AccountRole
from models.tenants import Tenant
from resolvers.staff.staff import StaffMember as StaffMemberRow


@strawberry.type(description="A town's rules, as its administrator sets them (`updateTown`).")
class TownSettings:
    id: strawberry.ID = strawberry.field(description="Stable global id (a `Town`).")
    slug: str = strawberry.field(description="Short name used to log in.")
    name: str = strawberry.field(description="Name printed on PDFs and mails.")
    postal_address: str = strawberry.field(
        description="Postal address heading invoice PDFs, lines as typed."
    )
    contact_email: str = strawberry.field(description="Where families write; empty = none.")
    time_zone: str = strawberry.field(description="IANA zone deadlines are computed in.")
    password_min_length: int = strawberry.field(description="Shortest password accepted.")
    password_requires_uppercase: bool = strawberry.field(
        description="Whether passwords need an upper-case letter."
    )
    cgu_version: str = strawberry.field(
        description="Current terms' version: accounts that accepted another accept it at their "
        "next login."
    )
    cgu_text: str = strawberry.field(description="The terms (CGU).")
    first_illness_day_without_certificate: bool = strawberry.field(
        description="Whether the first day of an illness is justified without a certificate."
    )
    unpaid_block_days: int | None = strawberry.field(
        description="New bookings wait while an invoice is unpaid this many days past its due "
        "date; null = never."
    )

    @classmethod
    def from_model(cls, tenant: Tenant) -> "TownSettings":
        return cls(
            id=strawberry.ID(encode_id("Town", tenant.id)),
            slug=tenant.slug,
            name=tenant.name,
            postal_address=tenant.postal_address or "",
            contact_email=tenant.contact_email,
            time_zone=tenant.timezone,
            password_min_length=tenant.password_min_length,
            password_requires_uppercase=tenant.password_requires_uppercase,
            cgu_version=tenant.cgu_version,
            cgu_text=tenant.cgu_text or "",
            first_illness_day_without_certificate=tenant.first_illness_day_without_certificate,
            unpaid_block_days=tenant.unpaid_block_days,
        )


@strawberry.type(description="A staff account of the town, with its role and scopes.")
class StaffMember:
    id: strawberry.ID = strawberry.field(description="The account's global id.")
    email: str = strawberry.field(description="Login e-mail.")
    role: AccountRole = strawberry.field(description="What the account may do.")
    last_name: str = strawberry.field(description="Nom d'usage; empty until invitation accepted.")
    first_names: str = strawberry.field(description="Prénom(s); empty until accepted.")
    activated_at: datetime | None = strawberry.field(
        description="When the invitation was accepted; null while pending."
    )
    disabled: bool = strawberry.field(
        description="A disabled account cannot log in; its sessions and links stopped."
    )
    authority_ids: list[strawberry.ID] = strawberry.field(
        description="Régies a régisseur handles (empty for other roles)."
    )
    site_ids: list[strawberry.ID] = strawberry.field(
        description="Sites a site member works at (empty for other roles)."
    )

    @classmethod
    def from_row(cls, row: StaffMemberRow) -> "StaffMember":
        account = row.account
        return cls(
            id=strawberry.ID(encode_id("Account", account.id)),
            email=account.email,
            role=AccountRole(account.role),
            last_name=account.last_name,
            first_names=account.first_names,
            activated_at=account.activated_at,
            disabled=account.is_disabled,
            authority_ids=[
                strawberry.ID(encode_id("BillingAuthority", i)) for i in row.authority_ids
            ],
            site_ids=[strawberry.ID(encode_id("Site", i)) for i in row.site_ids],
        )
