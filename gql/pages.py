"""The pages mailed links open: account activation, choosing a new password, confirming a
new login e-mail.

Following a link (GET) only shows a page; its button or form POSTs, and only the POST
changes anything, so a mail scanner that opens links uses up nothing. They call the same
resolvers as the ``activateAccount`` and ``resetPassword`` mutations, so a parent without an
app can finish both from the mail alone.
"""

from collections.abc import Awaitable, Callable
from html import escape as _escape

from starlette.requests import Request
from starlette.responses import HTMLResponse

from resolvers.accounts.accounts import activate, confirm_email_change, reset_password
from resolvers.core.clock import Clock
from resolvers.core.errors import DomainError

Endpoint = Callable[[Request], Awaitable[HTMLResponse]]


def escape(text: str) -> str:
    """Escape for text nodes; French apostrophes stay readable in the source."""
    return _escape(text, quote=False)


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    html = f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} — Portail Famille</title>
<style>body{{font-family:Arial,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;
color:#1a1a1a}}input,button{{font-size:1rem;padding:.5rem;margin:.3rem 0;width:100%}}
.error{{color:#b00020}}</style></head>
<body><h1>{escape(title)}</h1>{body}</body></html>"""
    return HTMLResponse(html, status_code=status_code)


def activation_page(clock: Clock) -> Endpoint:
    """GET shows a button, POST activates: mail scanners that follow links (GET) must not
    use the single-use link before the parent does."""
    button = """<p>Pour activer votre espace famille, confirmez ci-dessous.</p>
<form method="post"><button type="submit">Activer mon espace</button></form>"""

    async def endpoint(request: Request) -> HTMLResponse:
        if request.method != "POST":
            return _page("Activer votre espace", button)
        try:
            account = await activate(request.path_params["token"], clock=clock)
        except DomainError as error:
            return _page(
                "Activation impossible",
                f'<p class="error">{escape(error.message)}</p>',
                status_code=400,
            )
        return _page(
            "Votre espace est activé",
            f"<p>Bienvenue {escape(account.first_names)} ! Vous pouvez maintenant vous connecter "
            "avec votre adresse e-mail et votre mot de passe.</p>",
        )

    return endpoint


def password_reset_page(clock: Clock) -> Endpoint:
    form = """<form method="post">
<label for="password">Nouveau mot de passe</label>
<input id="password" name="password" type="password" autocomplete="new-password" required>
<button type="submit">Enregistrer</button></form>"""

    async def endpoint(request: Request) -> HTMLResponse:
        if request.method == "GET":
            return _page("Choisir un nouveau mot de passe", form)
        data = await request.form()
        password = str(data.get("password", ""))
        try:
            await reset_password(request.path_params["token"], password, clock=clock)
        except DomainError as error:
            return _page(
                "Choisir un nouveau mot de passe",
                f'<p class="error">{escape(error.message)}</p>{form}',
                status_code=400,
            )
        return _page(
            "Mot de passe modifié",
            "<p>Votre mot de passe est enregistré. Vous pouvez vous connecter.</p>",
        )

    return endpoint


def email_change_page(clock: Clock) -> Endpoint:
    """GET shows a button, POST confirms (as the activation page, for mail scanners)."""
    button = """<p>Pour utiliser cette adresse pour vous connecter, confirmez ci-dessous.</p>
<form method="post"><button type="submit">Confirmer ma nouvelle adresse</button></form>"""

    async def endpoint(request: Request) -> HTMLResponse:
        if request.method != "POST":
            return _page("Confirmer votre nouvelle adresse e-mail", button)
        try:
            account = await confirm_email_change(request.path_params["token"], clock=clock)
        except DomainError as error:
            return _page(
                "Changement d'adresse impossible",
                f'<p class="error">{escape(error.message)}</p>',
                status_code=400,
            )
        return _page(
            "Adresse e-mail modifiée",
            f"<p>Vous vous connectez désormais avec {escape(account.email)}.</p>",
        )

    return endpoint
