"""The régie's till (issue 16): receipts numbered without gaps, deposit slips of the day's
cheques and cash, credit refunds in the ledger and the daily cash journal, driven through
GraphQL as the régisseur does, with what is refused."""

import csv
import io
import zipfile
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from gql.ids import encode_id
from models.audit import AuditEntry
from models.payments import Payment, PaymentKind
from resolvers.core.clock import FrozenClock
from tests.conftest import GraphQL
from tests.factories import token_for
from tests.payment_factories import PAYMENTS, invoice_due, paying_family
from tests.payments.test_desk_payments import CANCEL, CREDIT, desk_input, pdf_text, record

TO_DEPOSIT = """
query($authority: ID!, $mode: DeskPaymentMode!, $day: Date!) {
  paymentsToDeposit(authorityId: $authority, mode: $mode, day: $day) {
    receiptNumber chequeNumber amount { cents }
  }
}
"""
DEPOSIT = """
mutation($input: DepositSlipInput!) {
  createDepositSlip(input: $input) {
    slip { id number mode depositedOn total { cents text } paymentCount pdfUrl
           payments { receiptNumber chequeNumber chequeBank amount { cents } } }
    errors { code message field }
  }
}
"""
REFUND = """
mutation($input: RefundCreditInput!) {
  refundCredit(input: $input) {
    refund { number mode amount { cents } reason refundedOn }
    errors { code message field }
  }
}
"""
JOURNAL = """
query($authority: ID!, $day: Date!) {
  cashJournal(authorityId: $authority, day: $day) {
    day entries { mode reference label householdName amount { cents } }
    totals { mode label count amount { cents } } total { cents } csvUrl pdfUrl
  }
}
"""


def cheque(number: str, bank: str = "Crédit Agricole") -> dict[str, str]:
    return {"number": number, "bank": bank, "drawer": "M. Test"}


async def test_receipts_are_numbered_without_gaps_and_the_days_cheques_go_on_a_slip(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    family = await paying_family(clock, totals=(4000, 3000, 2500))
    staff = await token_for(family.staff, clock)
    authority = encode_id("BillingAuthority", family.authority.id)
    first = await record(
        api,
        staff,
        **desk_input(
            family.household_id,
            "CHEQUE",
            7000,
            invoiceIds=[family.invoice_id(0), family.invoice_id(1)],
            cheque=cheque("1234567"),
        ),
    )
    # A refused payment takes no number.
    bad = await api(
        "mutation($input: DeskPaymentInput!) { recordDeskPayment(input: $input) { "
        "errors { field } } }",
        {"input": desk_input(family.household_id, "CHEQUE", 100, invoiceIds=[])},
        token=staff,
    )
    assert bad["data"]["recordDeskPayment"]["errors"]
    cash = await record(
        api,
        staff,
        **desk_input(family.household_id, "CASH", 1000, invoiceIds=[family.invoice_id(2)]),
    )
    second_cheque = await record(
        api,
        staff,
        **desk_input(
            family.household_id,
            "CHEQUE",
            1500,
            invoiceIds=[family.invoice_id(2)],
            cheque=cheque("7654321", "La Banque Postale"),
        ),
    )
    prefix = f"R{family.authority.id}-2026-"
    assert [p["deskPayment"]["number"] for p in (first, cash, second_cheque)] == [
        f"{prefix}000001",
        f"{prefix}000002",
        f"{prefix}000003",
    ]

    waiting = await api(
        TO_DEPOSIT, {"authority": authority, "mode": "CHEQUE", "day": "2026-11-23"}, token=staff
    )
    assert waiting["data"]["paymentsToDeposit"] == [
        {"receiptNumber": f"{prefix}000001", "chequeNumber": "1234567", "amount": {"cents": 7000}},
        {"receiptNumber": f"{prefix}000003", "chequeNumber": "7654321", "amount": {"cents": 1500}},
    ]
    # A parent cannot see the till.
    forbidden = await api(
        TO_DEPOSIT,
        {"authority": authority, "mode": "CHEQUE", "day": "2026-11-23"},
        token=family.token,
    )
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    result = await api(
        DEPOSIT,
        {"input": {"authorityId": authority, "mode": "CHEQUE", "day": "2026-11-23"}},
        token=staff,
    )
    payload = result["data"]["createDepositSlip"]
    assert payload["errors"] == []
    slip = payload["slip"]
    assert slip["number"] == f"B{family.authority.id}-2026-000001"
    assert (slip["mode"], slip["paymentCount"], slip["total"]) == (
        "CHEQUE",
        2,
        {"cents": 8500, "text": "85,00 €"},
    )
    assert [p["chequeNumber"] for p in slip["payments"]] == ["1234567", "7654321"]
    response = await http.get(slip["pdfUrl"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in (
        "Ville de Castres",
        "Régie périscolaire",
        f"Bordereau de remise de chèques n° {slip['number']}",
        "Date de remise : 23/11/2026",
        "1234567",
        "Crédit Agricole",
        "7654321",
        "La Banque Postale",
        "70,00 €",
        "15,00 €",
        "Total : 2 chèque(s)",
        "85,00 €",
    ):
        assert expected in text, (expected, text)
    assert (await http.get(slip["pdfUrl"] + "x")).status_code == 403
    [entry] = await AuditEntry.filter(action="deposit_slip.created", tenant_id=family.tenant.id)
    assert entry.details["receipts"] == [f"{prefix}000001", f"{prefix}000003"]

    # Deposited: no second slip of the same cheques, and no cancellation.
    again = await api(
        DEPOSIT,
        {"input": {"authorityId": authority, "mode": "CHEQUE", "day": "2026-11-23"}},
        token=staff,
    )
    [error] = again["data"]["createDepositSlip"]["errors"]
    assert (error["code"], error["message"]) == (
        "INVALID",
        "Aucun chèque à remettre à cette date.",
    )
    cancel = await api(
        CANCEL, {"id": first["deskPayment"]["id"], "reason": "Chèque sans provision"}, token=staff
    )
    [error] = cancel["data"]["cancelDeskPayment"]["errors"]
    assert error["code"] == "INVALID"
    assert f"remis en banque (bordereau n° {slip['number']})" in error["message"]
    assert await invoice_due(api, family, 0) == 0

    # Cash goes on its own slip; a CESU slip does not exist; a future day is refused.
    cesu = await api(
        DEPOSIT,
        {"input": {"authorityId": authority, "mode": "CESU", "day": "2026-11-23"}},
        token=staff,
    )
    assert cesu["data"]["createDepositSlip"]["errors"][0]["field"] == "mode"
    future = await api(
        DEPOSIT,
        {"input": {"authorityId": authority, "mode": "CASH", "day": "2026-11-24"}},
        token=staff,
    )
    assert future["data"]["createDepositSlip"]["errors"][0]["field"] == "day"
    named = await api(
        DEPOSIT,
        {
            "input": {
                "authorityId": authority,
                "mode": "CASH",
                "day": "2026-11-23",
                "deskPaymentIds": [first["deskPayment"]["id"]],
            }
        },
        token=staff,
    )
    assert named["data"]["createDepositSlip"]["errors"][0]["field"] == "deskPaymentIds"
    cash_slip = await api(
        DEPOSIT,
        {
            "input": {
                "authorityId": authority,
                "mode": "CASH",
                "day": "2026-11-23",
                "deskPaymentIds": [cash["deskPayment"]["id"]],
            }
        },
        token=staff,
    )
    slip = cash_slip["data"]["createDepositSlip"]["slip"]
    assert (slip["number"], slip["total"]["cents"]) == (f"B{family.authority.id}-2026-000002", 1000)
    text = pdf_text((await http.get(slip["pdfUrl"])).content)
    assert "Bordereau de remise d'espèces" in text and "Total : 1 encaissement(s)" in text


async def test_a_credit_is_refunded_in_the_ledger_with_its_mode_and_reason(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    family = await paying_family(clock, totals=(4000,))
    staff = await token_for(family.staff, clock)
    authority = encode_id("BillingAuthority", family.authority.id)
    paid = await record(
        api,
        staff,
        **desk_input(family.household_id, "CASH", 5000, invoiceIds=[family.invoice_id(0)]),
    )
    assert paid["deskPayment"]["householdCredit"]["cents"] == 1000

    async def refund(**extra: Any) -> dict[str, Any]:
        base = {
            "householdId": family.household_id,
            "authorityId": authority,
            "mode": "CHEQUE",
            "reason": "Départ de la commune",
        }
        result = await api(REFUND, {"input": {**base, **extra}}, token=staff)
        payload: dict[str, Any] = result["data"]["refundCredit"]
        return payload

    too_much = await refund(amountCents=1500)
    assert too_much["errors"][0]["message"] == "L'avoir de la famille n'est que de 10,00 €."
    assert (await refund(mode="CESU"))["errors"][0]["field"] == "mode"
    assert (await refund(reason=" "))["errors"][0]["field"] == "reason"
    assert (await refund(amountCents=0))["errors"][0]["field"] == "amountCents"
    parent = await api(
        REFUND,
        {
            "input": {
                "householdId": family.household_id,
                "authorityId": authority,
                "mode": "CASH",
                "reason": "Moi-même",
            }
        },
        token=family.token,
    )
    assert parent["data"]["refundCredit"]["errors"][0]["code"] == "FORBIDDEN"

    part = await refund(amountCents=600)
    assert part["errors"] == []
    assert part["refund"] == {
        "number": f"V{family.authority.id}-2026-000001",
        "mode": "CHEQUE",
        "amount": {"cents": 600},
        "reason": "Départ de la commune",
        "refundedOn": "2026-11-23",
    }
    credit = await api(
        CREDIT, {"household": family.household_id, "authority": authority}, token=family.token
    )
    assert credit["data"]["householdCredit"]["cents"] == 400
    # The parent reads it in the payment history: the ledger says so.
    history = await api(PAYMENTS, {"id": family.household_id}, token=family.token)
    assert [(p["kind"], p["provider"], p["amount"]["cents"]) for p in history["data"]["payments"]][
        0
    ] == ("REFUND", "DESK", -600)
    [entry] = await AuditEntry.filter(action="credit.refunded", tenant_id=family.tenant.id)
    assert entry.details["reason"] == "Départ de la commune"
    assert entry.details["amount_cents"] == 600

    # A payment whose credit was refunded can no longer be cancelled.
    cancel = await api(CANCEL, {"id": paid["deskPayment"]["id"], "reason": "Erreur"}, token=staff)
    assert "remboursée" in cancel["data"]["cancelDeskPayment"]["errors"][0]["message"]

    rest = await refund(mode="TRANSFER")
    assert rest["refund"]["amount"]["cents"] == 400
    assert rest["refund"]["number"] == f"V{family.authority.id}-2026-000002"
    nothing = await refund()
    assert nothing["errors"][0]["message"] == "Cette famille n'a pas d'avoir auprès de cette régie."
    refunds = await Payment.filter(household_id=family.household.id, kind=PaymentKind.REFUND)
    assert sorted(p.amount_cents for p in refunds) == [-600, -400]
    assert await invoice_due(api, family, 0) == 0

    # The RGPD export reads the same ledger.
    export = await api(
        "mutation($id: ID!) { exportHouseholdData(householdId: $id) { url errors { code } } }",
        {"id": family.household_id},
        token=family.token,
    )
    archive = zipfile.ZipFile(
        io.BytesIO((await http.get(export["data"]["exportHouseholdData"]["url"])).content)
    )
    data = orjson.loads(archive.read("data.json"))
    assert [(p["kind"], p["amount_cents"]) for p in data["payments"]] == [
        ("payment", 5000),
        ("refund", -600),
        ("refund", -400),
    ]
    assert data["payments"][0]["allocations"] == [
        {"invoice_id": family.invoices[0].id, "amount_cents": 4000}
    ]
    assert [(r["number"], r["mode"], r["amount_cents"]) for r in data["credit_refunds"]] == [
        (f"V{family.authority.id}-2026-000001", "cheque", 600),
        (f"V{family.authority.id}-2026-000002", "transfer", 400),
    ]


async def test_the_daily_cash_journal_lists_every_movement_by_mode_with_totals(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    family = await paying_family(clock, totals=(4000, 3000, 2500))
    staff = await token_for(family.staff, clock)
    authority = encode_id("BillingAuthority", family.authority.id)
    cheque_paid = await record(
        api,
        staff,
        **desk_input(
            family.household_id,
            "CHEQUE",
            7000,
            invoiceIds=[family.invoice_id(0), family.invoice_id(1)],
            cheque=cheque("1234567"),
        ),
    )
    cash = await record(
        api,
        staff,
        **desk_input(family.household_id, "CASH", 3000, invoiceIds=[family.invoice_id(2)]),
    )
    cesu = await record(
        api,
        staff,
        **desk_input(
            family.household_id,
            "CESU",
            2000,
            invoiceIds=[family.invoice_id(2)],
            cesu={"electronic": True},
        ),
    )
    await api(CANCEL, {"id": cesu["deskPayment"]["id"], "reason": "Doublon"}, token=staff)
    await api(
        REFUND,
        {
            "input": {
                "householdId": family.household_id,
                "authorityId": authority,
                "mode": "CASH",
                "reason": "Trop-perçu rendu au guichet",
            }
        },
        token=staff,
    )
    # A payment of another day is not in this day's journal.
    clock.current = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    staff = await token_for(family.staff, clock)

    result = await api(JOURNAL, {"authority": authority, "day": "2026-11-23"}, token=staff)
    journal = result["data"]["cashJournal"]
    assert [(e["mode"], e["reference"], e["amount"]["cents"]) for e in journal["entries"]] == [
        ("CASH", cash["deskPayment"]["number"], 3000),
        ("CASH", f"V{family.authority.id}-2026-000001", -500),
        ("CHEQUE", cheque_paid["deskPayment"]["number"], 7000),
        ("CESU", cesu["deskPayment"]["number"], 2000),
        ("CESU", cesu["deskPayment"]["number"], -2000),
    ]
    assert journal["entries"][3]["householdName"] == family.household.name
    assert journal["entries"][4]["label"] == "Annulation de l'encaissement : Doublon"
    assert [
        (t["mode"], t["label"], t["count"], t["amount"]["cents"]) for t in journal["totals"]
    ] == [
        ("CASH", "Espèces", 2, 2500),
        ("CHEQUE", "Chèques", 1, 7000),
        ("CESU", "CESU", 2, 0),
    ]
    assert journal["total"] == {"cents": 9500}

    response = await http.get(journal["csvUrl"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Date", "Mode", "Pièce", "Nature", "Famille", "Montant (€)"]
    assert rows[1][:3] == ["23/11/2026", "Espèces", cash["deskPayment"]["number"]]
    assert rows[1][5] == "30,00"
    assert rows[-1] == ["23/11/2026", "", "", "Total du jour", "", "95,00"]
    text = pdf_text((await http.get(journal["pdfUrl"])).content)
    assert "Journal de caisse du 23/11/2026" in text
    assert "Trop-perçu rendu au guichet" in text and "95,00 €" in text

    empty = await api(JOURNAL, {"authority": authority, "day": "2026-11-24"}, token=staff)
    assert empty["data"]["cashJournal"]["entries"] == []
    future = await api(JOURNAL, {"authority": authority, "day": "2026-11-25"}, token=staff)
    assert future["errors"][0]["extensions"]["code"] == "INVALID"
    other = await api(
        JOURNAL,
        {"authority": encode_id("BillingAuthority", 999999), "day": "2026-11-23"},
        token=staff,
    )
    assert other["errors"][0]["extensions"]["code"] == "NOT_FOUND"
