"""Staff area mutations: the town's rules, invitations, roles, disable and enable."""

from typing import Annotated

import strawberry
from strawberry.file_uploads import Upload

from gql.accounts.types import Account
from gql.context import Info
from gql.errors import AccountError, handles_errors
from gql.ids import decode_id
from gql.staff.types import StaffMember, TownSettings
from models.accounts import AccountRole, Civility
from resolvers.staff import staff, towns

AccountId = Annotated[strawberry.ID, strawberry.argument(description="The staff account.")]


@strawberry.input(description="A staff role and what it is limited to.")
class StaffRoleInput:
    role: AccountRole = strawberry.field(description="ADMIN, AGENT, REGISSEUR or SITE.")
    authority_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="REGISSEUR: the régies they handle (at least one)."
    )
    site_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="SITE: the sites they work at (at least one)."
    )

    def to_form(self) -> staff.RoleForm:
        return staff.RoleForm(
            role=self.role,
            authority_ids=[
                decode_id(i, "BillingAuthority", field="authorityIds") for i in self.authority_ids
            ],
            site_ids=[decode_id(i, "Site", field="siteIds") for i in self.site_ids],
        )


@strawberry.input(description="Who to invite, with which role.")
class InviteStaffInput:
    email: str = strawberry.field(description="Where the invitation link is mailed.")
    role: StaffRoleInput = strawberry.field(description="The role given.")


@strawberry.input(description="What the invited person types when following the link.")
class AcceptStaffInvitationInput:
    token: str = strawberry.field(description="The token of the mailed link.")
    password: str = strawberry.field(description="Their password (the town's policy).")
    civility: Civility = strawberry.field(description="Civilité.")
    last_name: str = strawberry.field(description="Nom d'usage.")
    first_names: str = strawberry.field(description="Prénom(s).")


@strawberry.input(description="Rules of `updateTown`; a field left out keeps its value.")
class UpdateTownInput:
    name: str | None = strawberry.field(default=None, description="Name on PDFs and mails.")
    postal_address: str | None = strawberry.field(
        default=None, description="Postal address heading invoice PDFs, lines as typed."
    )
    contact_email: str | None = strawberry.field(
        default=None, description="Where families write; empty = none."
    )
    time_zone: str | None = strawberry.field(
        default=None, description="IANA zone, e.g. Europe/Paris or America/Cayenne."
    )
    password_min_length: int | None = strawberry.field(
        default=None, description="Shortest password accepted (8 to 64)."
    )
    password_requires_uppercase: bool | None = strawberry.field(
        default=None, description="Whether passwords need an upper-case letter."
    )
    cgu_version: str | None = strawberry.field(
        default=None,
        description="A new version: every account accepts it at its next login.",
    )
    cgu_text: str | None = strawberry.field(default=None, description="The terms (CGU).")
    first_illness_day_without_certificate: bool | None = strawberry.field(
        default=None, description="First day of an illness justified without a certificate."
    )
    unpaid_block_days: int | None = strawberry.field(
        default=None,
        description="Block new bookings while an invoice is unpaid this many days past its "
        "due date (1 to 365).",
    )
    clear_unpaid_block: bool = strawberry.field(
        default=False, description="True: no block on new bookings any more."
    )


@strawberry.type(description="Result of `updateTown`.")
class TownSettingsPayload:
    town: TownSettings | None = strawberry.field(default=None, description="The rules saved.")
    errors: list[AccountError] = strawberry.field(default_factory=list, description="Why not.")


@strawberry.type(
    description="Result of `inviteStaff`, `changeStaffRole`, `disableStaff`, `enableStaff`."
)
class StaffMemberPayload:
    member: StaffMember | None = strawberry.field(default=None, description="The account.")
    errors: list[AccountError] = strawberry.field(default_factory=list, description="Why not.")


@strawberry.type(description="Result of `acceptStaffInvitation`.")
class AcceptStaffInvitationPayload:
    account: Account | None = strawberry.field(
        default=None, description="The account, active: log in with its e-mail."
    )
    errors: list[AccountError] = strawberry.field(default_factory=list, description="Why not.")


@strawberry.type
class StaffMutations:
    @strawberry.mutation(description="Administrators: set the town's rules and its logo (audited).")
    @handles_errors()
    async def update_town(
        self,
        info: Info,
        input: Annotated[UpdateTownInput, strawberry.argument(description="Rules.")],
        logo: Annotated[
            Upload | None,
            strawberry.argument(
                description="The town's logo for its PDFs (invoices, receipts): a PNG or JPEG "
                "file (FAMILLE_TOWN_LOGO_MAX_KB), checked by decoding it; left out, it stays."
            ),
        ] = None,
    ) -> TownSettingsPayload:
        rules = towns.TownRules(
            name=input.name,
            postal_address=input.postal_address,
            contact_email=input.contact_email,
            timezone=input.time_zone,
            password_min_length=input.password_min_length,
            password_requires_uppercase=input.password_requires_uppercase,
            cgu_version=input.cgu_version,
            cgu_text=input.cgu_text,
            first_illness_day_without_certificate=input.first_illness_day_without_certificate,
            unpaid_block_days=input.unpaid_block_days,
            clear_unpaid_block=input.clear_unpaid_block,
        )
        # Starlette's UploadFile, which the resolver's Upload protocol describes.
        checked = await towns.check_logo(logo) if logo is not None else None  # type: ignore[arg-type]
        tenant = await towns.update_town(
            info.context.account, rules, clock=info.context.clock, logo=checked
        )
        return TownSettingsPayload(town=TownSettings.from_model(tenant))

    @strawberry.mutation(
        description="Administrators: invite a colleague by mail with a role; the link serves "
        "once and expires (FAMILLE_STAFF_INVITATION_TTL_HOURS). Inviting a pending address "
        "again sends a new link and voids the old one."
    )
    @handles_errors()
    async def invite_staff(
        self,
        info: Info,
        input: Annotated[InviteStaffInput, strawberry.argument(description="Who.")],
    ) -> StaffMemberPayload:
        invitation = await staff.invite_staff(
            info.context.account, input.email, input.role.to_form(), clock=info.context.clock
        )
        [row] = await staff.members_of([invitation.account])
        return StaffMemberPayload(member=StaffMember.from_row(row))

    @strawberry.mutation(
        description="Follow a staff invitation: choose the password and give one's name; the "
        "account is active and can log in."
    )
    @handles_errors()
    async def accept_staff_invitation(
        self,
        info: Info,
        input: Annotated[AcceptStaffInvitationInput, strawberry.argument(description="Form.")],
    ) -> AcceptStaffInvitationPayload:
        account = await staff.accept_invitation(
            input.token,
            input.password,
            civility=input.civility,
            last_name=input.last_name,
            first_names=input.first_names,
            clock=info.context.clock,
        )
        return AcceptStaffInvitationPayload(account=Account.from_model(account))

    @strawberry.mutation(
        description="Administrators: give a colleague another role, or other régies or sites "
        "(in force at their next request; audited)."
    )
    @handles_errors()
    async def change_staff_role(
        self,
        info: Info,
        account_id: AccountId,
        role: Annotated[StaffRoleInput, strawberry.argument(description="The new role.")],
    ) -> StaffMemberPayload:
        row = await staff.change_role(
            info.context.account,
            decode_id(account_id, "Account", field="accountId"),
            role.to_form(),
            clock=info.context.clock,
        )
        return StaffMemberPayload(member=StaffMember.from_row(row))

    @strawberry.mutation(
        description="Administrators: disable a colleague: they cannot log in, and their "
        "sessions and download links stop at once (audited)."
    )
    @handles_errors()
    async def disable_staff(self, info: Info, account_id: AccountId) -> StaffMemberPayload:
        row = await staff.set_disabled(
            info.context.account,
            decode_id(account_id, "Account", field="accountId"),
            True,
            clock=info.context.clock,
        )
        return StaffMemberPayload(member=StaffMember.from_row(row))

    @strawberry.mutation(description="Administrators: enable a disabled colleague (audited).")
    @handles_errors()
    async def enable_staff(self, info: Info, account_id: AccountId) -> StaffMemberPayload:
        row = await staff.set_disabled(
            info.context.account,
            decode_id(account_id, "Account", field="accountId"),
            False,
            clock=info.context.clock,
        )
        return StaffMemberPayload(member=StaffMember.from_row(row))
