"""PayFiP with the local fake DGFiP when the API and the worker are separate processes
(``famille serve`` + ``famille worker``): the fake keeps its idOps in the database, as the
DGFiP keeps them on its side, so a payment opened by one process is confirmed by another."""

import asyncio
import os
import sys
from pathlib import Path

import httpx

from models.payments import (
    AttemptStatus,
    FakePayfipOperation,
    NotificationOutcome,
    Payment,
    PaymentAttempt,
    PaymentNotification,
    PaymentProvider,
)
from resolvers.core.clock import FrozenClock
from resolvers.payments.payfip import FakePayfip
from resolvers.payments.reconcile import process_notification
from tests.conftest import GraphQL
from tests.payment_factories import form_fields, invoice_due, paying_family, start

ROOT = Path(__file__).resolve().parents[2]

# Another process, with its own ORM connection and its own module state: the parent paying
# on the DGFiP's page, then the worker running the reconcile job.
OTHER_PROCESS = """
import asyncio, sys
from models.database import close_db, init_db
from resolvers.core.clock import SystemClock
from resolvers.payments.payfip import payfip_client
from resolvers.payments.reconcile import process_notification

async def main(action, argument):
    await init_db()
    try:
        if action == "pay":
            await payfip_client().finish(argument, "P")
        else:
            print(await process_notification(int(argument), payfip_client(), clock=SystemClock()))
    finally:
        await close_db()

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


async def other_process(action: str, argument: str) -> str:
    environment = {**os.environ}
    environment.pop("FAMILLE_PAYFIP_SERVICE_URL", None)
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        OTHER_PROCESS,
        action,
        argument,
        cwd=ROOT,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await child.communicate()
    assert child.returncode == 0, err.decode()
    return out.decode().strip()


async def test_a_payfip_payment_opened_by_the_api_is_confirmed_by_a_worker_process(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    family = await paying_family(clock, PaymentProvider.PAYFIP)
    idop = form_fields((await start(api, family))["request"])["idop"]  # this (API) process
    await other_process("pay", idop)  # the parent pays: the DGFiP knows it, not us
    assert (await http.post("/payments/payfip/notify", data={"idop": idop})).status_code == 200
    notification = await PaymentNotification.get(attempt__provider_txn_id=idop)
    assert await other_process("work", str(notification.id)) == NotificationOutcome.PROCESSED
    assert await invoice_due(api, family) == 0
    payments = await Payment.filter(household_id=family.household.id)
    assert [(p.provider_txn_id, p.amount_cents) for p in payments] == [(idop, 4250)]
    # PayFiP notifying again, handled by the worker again: still one payment.
    assert (await http.get(f"/payments/payfip/notify?idop={idop}")).status_code == 200
    again = await PaymentNotification.filter(attempt__provider_txn_id=idop).order_by("-id").first()
    assert again is not None and again.id != notification.id
    assert await other_process("work", str(again.id)) == NotificationOutcome.DUPLICATE
    assert await Payment.filter(household_id=family.household.id).count() == 1


async def test_an_idop_the_dgfip_does_not_know_is_recorded_as_p1(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    family = await paying_family(clock, PaymentProvider.PAYFIP, totals=(4250, 1800))
    known = form_fields((await start(api, family, (0,)))["request"])["idop"]
    purged = form_fields((await start(api, family, (1,)))["request"])["idop"]
    await FakePayfipOperation.filter(idop=purged).delete()  # the DGFiP's nightly clean-up
    for idop in (known, purged):
        assert (await http.post("/payments/payfip/notify", data={"idop": idop})).status_code == 200
        stored = await PaymentNotification.get(attempt__provider_txn_id=idop)
        await process_notification(stored.id, FakePayfip(), clock=clock)
    details = dict(
        await PaymentNotification.filter(attempt__household_id=family.household.id).values_list(
            "attempt__provider_txn_id", "detail"
        )
    )
    assert details == {known: "P5", purged: "P1"}
    # Within the idOp's lifetime neither is given up.
    attempts = await PaymentAttempt.filter(household_id=family.household.id)
    assert [attempt.status for attempt in attempts] == [AttemptStatus.PENDING] * 2
