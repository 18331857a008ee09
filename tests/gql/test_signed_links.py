"""Signed download links are declared once (resolvers/core/signed_links.py): every kind is
routed by the app, its tokens are kept out of the access log, and a link opens only for
its own kind, untampered, unexpired, and while its account is enabled."""

from datetime import timedelta

import pytest
from starlette.routing import Route

from gql.access_log import redact
from gql.app import create_app
from models.accounts import Account, AccountRole
from resolvers.core import signed_links
from resolvers.core.clock import FrozenClock
from settings import get_settings
from tests.conftest import Backend
from tests.factories import make_account, make_town


def test_every_kind_has_its_own_purpose_and_path_routed_by_the_app() -> None:
    kinds = signed_links.LINK_KINDS
    assert len({kind.purpose for kind in kinds}) == len({kind.path for kind in kinds}) == 9
    app = create_app()
    paths = {route.path for route in app.routes if isinstance(route, Route)}
    exports = (signed_links.KITCHEN_CSV, signed_links.ATTENDANCE_PDF)
    assert {kind.route for kind in (*kinds, *exports)} <= paths
    for kind in kinds:
        assert redact(f"/{kind.path}/abc.def?x=1") == f"/{kind.path}/…?x=…"


async def test_a_link_opens_for_its_kind_until_it_expires_or_its_account_is_disabled(
    backend: Backend, clock: FrozenClock
) -> None:
    town = await make_town()
    staff = await make_account(town, clock, role=AccountRole.REGISSEUR)
    url, expires_at = signed_links.DEPOSIT_SLIP.url(staff, {"slip": 7}, clock=clock)
    prefix = f"{get_settings().public_url}/bordereaux/"
    assert url.startswith(prefix)
    token = url.removeprefix(prefix)
    assert expires_at == clock.now() + timedelta(minutes=get_settings().signed_link_ttl_minutes)

    account, params = await signed_links.DEPOSIT_SLIP.verify(token, clock=clock)
    assert (account.id, params) == (staff.id, {"slip": 7})
    # Another kind's route does not open it, nor a tampered copy.
    with pytest.raises(signed_links.InvalidLink):
        await signed_links.DESK_RECEIPT.verify(token, clock=clock)
    with pytest.raises(signed_links.InvalidLink):
        await signed_links.DEPOSIT_SLIP.verify(
            token[:-1] + ("1" if token.endswith("0") else "0"), clock=clock
        )
    # A disabled colleague's links stop at once; enabled again, they open again.
    await Account.filter(id=staff.id).update(is_disabled=True)
    with pytest.raises(signed_links.InvalidLink):
        await signed_links.DEPOSIT_SLIP.verify(token, clock=clock)
    await Account.filter(id=staff.id).update(is_disabled=False)
    await signed_links.DEPOSIT_SLIP.verify(token, clock=clock)
    # Past its expiry, it is refused.
    clock.current = expires_at + timedelta(seconds=1)
    with pytest.raises(signed_links.InvalidLink):
        await signed_links.DEPOSIT_SLIP.verify(token, clock=clock)
