"""Account mutations: sign-up, activation, login/logout, passwords, the parent's own details,
the login e-mail, FranceConnect links.

Each returns a payload whose ``errors`` list carries expected failures with stable codes.
"""

from datetime import date, datetime
from typing import Annotated

import strawberry

from gql.accounts.types import Account
from gql.context import Info
from gql.enums import Civility, ContactChannel
from gql.errors import AccountError, handles_errors
from gql.inputs import to_form
from resolvers.accounts import accounts, franceconnect
from resolvers.core.errors import NotAuthenticated


@strawberry.input(description="The sign-up form (« Créer mon espace »).")
class RegisterInput:
    town: str = strawberry.field(description="Slug of the town, e.g. `castres`.")
    email: str = strawberry.field(description="Login e-mail; the activation link goes there.")
    password: str = strawberry.field(description="Must follow the town's `passwordPolicy`.")
    civility: Civility = strawberry.field(description="Civilité.")
    last_name: str = strawberry.field(description="Nom d'usage.")
    first_names: str = strawberry.field(description="Prénom(s).")
    accept_cgu: bool = strawberry.field(description="Terms of use accepted (required).")
    address_line: str = strawberry.field(description="Street address.")
    postal_code: str = strawberry.field(description="Code postal, 5 digits.")
    city: str = strawberry.field(description="Commune.")
    address_complement: str = strawberry.field(default="", description="Building, floor…")
    birth_name: str = strawberry.field(default="", description="Nom de naissance.")
    phone_mobile: str = strawberry.field(default="", description="Mobile phone.")
    phone_home: str = strawberry.field(default="", description="Home phone.")
    birth_date: date | None = strawberry.field(
        default=None, description="Date de naissance (optional, in the past)."
    )
    birth_city: str = strawberry.field(default="", description="Commune de naissance.")
    birth_department: str = strawberry.field(default="", description="Département de naissance.")
    birth_country: str = strawberry.field(default="", description="Pays de naissance.")
    preferred_contact: ContactChannel = strawberry.field(
        default=ContactChannel.EMAIL,
        description="« Moyen de contact préféré »: SMS needs `phoneMobile`, PHONE a phone.",
    )


@strawberry.input(
    description="What a parent changes in their own account; a field left out stays as it is."
)
class AccountDetailsInput:
    birth_date: date | None = strawberry.field(
        default=strawberry.UNSET, description="Date de naissance; null clears it."
    )
    birth_city: str | None = strawberry.field(default=None, description="Commune de naissance.")
    birth_department: str | None = strawberry.field(
        default=None, description="Département de naissance."
    )
    birth_country: str | None = strawberry.field(default=None, description="Pays de naissance.")
    preferred_contact: ContactChannel | None = strawberry.field(
        default=None, description="« Moyen de contact préféré »."
    )
    phone_mobile: str | None = strawberry.field(default=None, description="Mobile phone.")
    phone_home: str | None = strawberry.field(default=None, description="Home phone.")


@strawberry.type(
    description="Result of `linkFranceConnect`: the FranceConnect address to send the browser to."
)
class FranceConnectRedirectPayload:
    url: str | None = strawberry.field(
        default=None,
        description="Open it in the browser: after FranceConnect, `/franceconnect/callback` "
        "links the identity to this account and answers a new session (see docs).",
    )
    errors: list[AccountError] = strawberry.field(
        default_factory=list, description="Why it was refused."
    )


@strawberry.type(description="Result of `register`: the inactive account, or why not.")
class RegisterPayload:
    account: Account | None = strawberry.field(
        default=None, description="The new account; it works once the mailed link is followed."
    )
    errors: list[AccountError] = strawberry.field(
        default_factory=list, description="Every problem of the form at once."
    )


@strawberry.input(description="Credentials of `login`.")
class LoginInput:
    town: str = strawberry.field(description="Slug of the town.")
    email: str = strawberry.field(description="Login e-mail.")
    password: str = strawberry.field(description="Password.")
    accept_cgu: bool = strawberry.field(
        default=False,
        description="Accept the town's current terms (`town.cguVersion`, `town.cguText`): "
        "required when they changed since the account last accepted them (CGU_NOT_ACCEPTED).",
    )


@strawberry.type(description="Result of `login`: a bearer token to send as `Authorization`.")
class LoginPayload:
    token: str | None = strawberry.field(
        default=None,
        description="Send it as the header `Authorization: Bearer <token>`; shown only once.",
    )
    expires_at: datetime | None = strawberry.field(
        default=None, description="When the token stops working (UTC)."
    )
    account: Account | None = strawberry.field(default=None, description="The account.")
    errors: list[AccountError] = strawberry.field(
        default_factory=list, description="Why the login was refused."
    )


@strawberry.type(description="Result of an account mutation that returns the account.")
class AccountPayload:
    account: Account | None = strawberry.field(default=None, description="The account.")
    errors: list[AccountError] = strawberry.field(
        default_factory=list, description="Why it failed."
    )


@strawberry.type(description="Result of a mutation that has nothing to return but success.")
class AccountActionPayload:
    ok: bool = strawberry.field(description="True when done.")
    message: str = strawberry.field(description="What happened, in French, to show the user.")
    errors: list[AccountError] = strawberry.field(
        default_factory=list, description="Why it failed."
    )

    @classmethod
    def from_errors(cls, errors: list[AccountError]) -> "AccountActionPayload":
        """A refusal: not done, and the first error's message to show."""
        return cls(ok=False, message=errors[0].message, errors=errors)


@strawberry.type
class AccountMutations:
    @strawberry.mutation(
        description="Create a parent account. It stays inactive until the link mailed to "
        "`email` is followed (or `activateAccount` is called with its token)."
    )
    @handles_errors()
    async def register(
        self,
        info: Info,
        input: Annotated[RegisterInput, strawberry.argument(description="The sign-up form.")],
    ) -> RegisterPayload:
        form = to_form(accounts.Registration, input)
        account = await accounts.register(form, clock=info.context.clock)
        return RegisterPayload(account=Account.from_model(account))

    @strawberry.mutation(description="Activate an account with the token of the mailed link.")
    @handles_errors()
    async def activate_account(
        self,
        info: Info,
        token: Annotated[
            str, strawberry.argument(description="The last part of the activation link.")
        ],
    ) -> AccountPayload:
        account = await accounts.activate(token, clock=info.context.clock)
        return AccountPayload(account=Account.from_model(account))

    @strawberry.mutation(
        description="Mail a new activation link. Answers the same whether or not the account "
        "exists, so nobody can probe which e-mails have an account."
    )
    @handles_errors()
    async def resend_activation(
        self,
        info: Info,
        town: Annotated[str, strawberry.argument(description="Slug of the town.")],
        email: Annotated[str, strawberry.argument(description="E-mail used at sign-up.")],
    ) -> AccountActionPayload:
        await accounts.resend_activation(town, email, clock=info.context.clock)
        return AccountActionPayload(
            ok=True,
            message="Si un compte non activé existe pour cette adresse, un nouveau lien vient "
            "d'être envoyé.",
        )

    @strawberry.mutation(
        description="Log in. After repeated failures the e-mail and the client address are "
        "locked for a while (TOO_MANY_ATTEMPTS, with the time to retry)."
    )
    # Not atomic: a refused login keeps its recorded LoginAttempt, which the throttling
    # counts (a rolled-back failure would let anyone try passwords without limit).
    @handles_errors(atomic=False)
    async def login(
        self,
        info: Info,
        input: Annotated[LoginInput, strawberry.argument(description="Credentials.")],
    ) -> LoginPayload:
        session = await accounts.login(
            input.town,
            input.email,
            input.password,
            accept_cgu=input.accept_cgu,
            client_address=info.context.client_address,
            clock=info.context.clock,
        )
        return LoginPayload(
            token=session.token,
            expires_at=session.expires_at,
            account=Account.from_model(session.account),
        )

    @strawberry.mutation(description="Revoke the bearer token this request was sent with.")
    @handles_errors()
    async def logout(self, info: Info) -> AccountActionPayload:
        if info.context.session_id is None:
            raise NotAuthenticated()
        await accounts.logout(info.context.session_id, clock=info.context.clock)
        return AccountActionPayload(ok=True, message="Vous êtes déconnecté.")

    @strawberry.mutation(
        description="Change the password; other devices are logged out and a mail warns the user."
    )
    @handles_errors()
    async def change_password(
        self,
        info: Info,
        current_password: Annotated[str, strawberry.argument(description="The password in use.")],
        new_password: Annotated[str, strawberry.argument(description="The new password.")],
    ) -> AccountActionPayload:
        await accounts.change_password(
            info.context.account,
            current_password,
            new_password,
            session_id=info.context.session_id,
            clock=info.context.clock,
        )
        return AccountActionPayload(ok=True, message="Votre mot de passe a été modifié.")

    @strawberry.mutation(
        description="Mail a password-reset link. Answers the same whether or not the account "
        "exists."
    )
    @handles_errors()
    async def request_password_reset(
        self,
        info: Info,
        town: Annotated[str, strawberry.argument(description="Slug of the town.")],
        email: Annotated[str, strawberry.argument(description="Login e-mail.")],
    ) -> AccountActionPayload:
        await accounts.request_password_reset(town, email, clock=info.context.clock)
        return AccountActionPayload(
            ok=True,
            message="Si un compte existe pour cette adresse, un lien pour choisir un nouveau mot "
            "de passe vient d'être envoyé.",
        )

    @strawberry.mutation(description="Set a new password with the token of the mailed link.")
    @handles_errors()
    async def reset_password(
        self,
        info: Info,
        token: Annotated[str, strawberry.argument(description="The last part of the reset link.")],
        new_password: Annotated[str, strawberry.argument(description="The new password.")],
    ) -> AccountActionPayload:
        await accounts.reset_password(token, new_password, clock=info.context.clock)
        return AccountActionPayload(
            ok=True, message="Votre mot de passe a été modifié. Vous pouvez vous connecter."
        )

    @strawberry.mutation(
        description="Change the signed-in account's birth details, phones and preferred contact "
        "channel."
    )
    @handles_errors()
    async def update_account_details(
        self,
        info: Info,
        input: Annotated[
            AccountDetailsInput, strawberry.argument(description="The fields to change.")
        ],
    ) -> AccountPayload:
        details = accounts.AccountDetails(
            birth_date=input.birth_date or None,
            clear_birth_date=input.birth_date is None,
            birth_city=input.birth_city,
            birth_department=input.birth_department,
            birth_country=input.birth_country,
            preferred_contact=input.preferred_contact,
            phone_mobile=input.phone_mobile,
            phone_home=input.phone_home,
        )
        account = await accounts.update_details(
            info.context.account, details, clock=info.context.clock
        )
        return AccountPayload(account=Account.from_model(account))

    @strawberry.mutation(
        description="Ask to change the login e-mail: a link valid `FAMILLE_EMAIL_CHANGE_TTL_HOURS` "
        "is mailed to the new address, and the e-mail changes only when it is followed "
        "(`confirmEmailChange`). A newer request cancels the pending one. EMAIL_TAKEN when "
        "another account of the town has the address."
    )
    @handles_errors()
    async def request_email_change(
        self,
        info: Info,
        new_email: Annotated[str, strawberry.argument(description="The new login e-mail.")],
    ) -> AccountActionPayload:
        email = await accounts.request_email_change(
            info.context.account, new_email, clock=info.context.clock
        )
        return AccountActionPayload(
            ok=True,
            message=f"Un lien de confirmation vient d'être envoyé à {email}. Votre adresse de "
            "connexion changera quand vous l'aurez suivi.",
        )

    @strawberry.mutation(
        description="Confirm a new login e-mail with the token of the link mailed to it: the "
        "e-mail changes, the former address is told, open sessions stay valid."
    )
    @handles_errors()
    async def confirm_email_change(
        self,
        info: Info,
        token: Annotated[str, strawberry.argument(description="The last part of the link.")],
    ) -> AccountPayload:
        account = await accounts.confirm_email_change(token, clock=info.context.clock)
        return AccountPayload(account=Account.from_model(account))

    @strawberry.mutation(
        description="Start linking the signed-in parent's account to their FranceConnect "
        "identity: answers the FranceConnect address to open; coming back, the account is "
        "linked and « S'identifier avec FranceConnect » signs in to it from then on."
    )
    @handles_errors()
    async def link_france_connect(self, info: Info) -> FranceConnectRedirectPayload:
        url = await franceconnect.start(
            None, link_account=info.context.require_account(), clock=info.context.clock
        )
        return FranceConnectRedirectPayload(url=url)

    @strawberry.mutation(
        description="Unlink the account from its FranceConnect identity. PASSWORD_REQUIRED "
        "while the account has no password (opened with FranceConnect)."
    )
    @handles_errors()
    async def unlink_france_connect(self, info: Info) -> AccountPayload:
        await franceconnect.unlink(info.context.account)
        account = info.context.require_account()
        return AccountPayload(account=Account.from_model(account))
