"""Expiry reminders: one mail per document and expiry date, however often the cron runs."""

from datetime import date, timedelta
from typing import Any

import httpx

from jobs.reminders import remind_expiring_documents
from models.accounts import Account
from models.documents import Document
from resolvers.core.clock import FrozenClock
from resolvers.reminders.reminders import set_reminders
from tests import samples
from tests.conftest import Mailbox
from tests.documents.test_documents import family, upload


async def test_a_document_expiring_within_the_notice_is_reminded_once(
    http: httpx.AsyncClient, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    f = await family(clock)
    today = date(2026, 11, 23)
    soon = {
        "kind": "CAF_ATTESTATION",
        "title": "Attestation CAF 2026",
        "expiresOn": str(today + timedelta(days=30)),
    }
    later = {"kind": "TAX_NOTICE", "title": "Avis 2026", "expiresOn": "2027-09-30"}
    await upload(http, f, ("caf.pdf", samples.pdf()), document=soon)
    await upload(http, f, ("avis.pdf", samples.pdf()), document=later)
    parent_email = (await f["household"].guardians.all().prefetch_related("account"))[
        0
    ].account.email

    await remind_expiring_documents({"clock": clock})
    await remind_expiring_documents({"clock": clock})  # the cron ran twice
    await run_jobs()
    reminders = [m for m in mailbox.to(parent_email) if "expire" in m["Subject"]]
    assert [m["Subject"] for m in reminders] == [
        "Votre document « Attestation CAF 2026 » expire le mercredi 23 décembre 2026"
    ]
    assert "dans 30 jour(s)" in Mailbox.text(reminders[0])

    # renewed with a new expiry date, it will be reminded again in time
    document = await Document.get(household_id=f["household"].id, title="Attestation CAF 2026")
    document.expires_on = today + timedelta(days=10)
    await document.save()
    assert await remind_expiring_documents({"clock": clock}) >= 1
    assert await Document.filter(id=document.id).values_list("expiry_reminded_for", flat=True) == [
        today + timedelta(days=10)
    ]


async def test_a_guardian_who_turned_reminders_off_gets_no_expiry_mail(
    http: httpx.AsyncClient, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    f = await family(clock)
    expiring = {"kind": "IDENTITY", "title": "Carte d'identité", "expiresOn": "2026-12-01"}
    await upload(http, f, ("cni.pdf", samples.pdf()), document=expiring)
    parent = await Account.get(guardianships__household_id=f["household"].id)
    await set_reminders(parent, f["household"].id, False, clock=clock)

    await remind_expiring_documents({"clock": clock})
    await run_jobs()

    assert [m for m in mailbox.to(parent.email) if "expire" in m["Subject"]] == []
