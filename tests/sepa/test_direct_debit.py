"""SEPA direct debit through the API: mandates, the pain.008 export checked against the
ISO 20022 schema, collection, rejected debits, and who may do what."""

import asyncio
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sepaxml
import xmlschema

from gql.ids import encode_id
from models.billing import Invoice
from models.households import Guardian
from models.sepa import (
    DirectDebitBatch,
    DirectDebitLine,
    MandateStatus,
    SepaMandate,
    SequenceType,
)
from resolvers.billing.invoicing import invoice_month
from resolvers.core.clock import FrozenClock
from resolvers.core.errors import DirectDebitErrorCode, DomainError
from resolvers.sepa.direct_debit import export_month, mark_collected
from tests.billing_factories import LOW_PRICE, BillingTown, Family, make_billing_town, make_family
from tests.conftest import Backend, GraphQL, Mailbox
from tests.factories import make_town, token_for
from tests.sepa_factories import (
    ICS,
    PAYER_BIC,
    PAYER_IBAN,
    make_creditor,
    make_mandate,
    make_payer,
)
from tests.sql_count import count_queries

# The pain.008.001.02 schema as published by ISO 20022, the copy sepaxml ships with.
PAIN_008_XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.02.xsd"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
OCTOBER = "2026-10-01"

CREATE_MANDATE = """
mutation($input: SepaMandateInput!) {
  createSepaMandate(input: $input) {
    mandate { id reference iban bic status sequenceType directDebit holderName signedOn }
    errors { code field message }
  }
}
"""
MANDATES = """
query($id: ID!) { sepaMandates(householdId: $id) { reference iban status sequenceType } }
"""
SAVE_CREDITOR = """
mutation($authorityId: ID!, $input: SepaCreditorInput!) {
  saveSepaCreditor(authorityId: $authorityId, input: $input) {
    creditor { code creditorIdentifier iban bic }
    errors { code field message }
  }
}
"""
BATCH_FIELDS = """
batch {
  id status collectionDate total { cents text } lineCount downloadUrl
  lines { id invoiceNumber sequenceType status amount { cents } rejectReason { code label } }
}
errors { code field message }
"""
EXPORT = (
    "mutation($authorityId: ID!, $month: Date!) "
    "{ exportDirectDebits(authorityId: $authorityId, month: $month) { " + BATCH_FIELDS + " } }"
)
COLLECTED = "mutation($id: ID!) { markDirectDebitBatchCollected(id: $id) { " + BATCH_FIELDS + " } }"
CANCEL = "mutation($id: ID!) { cancelDirectDebitBatch(id: $id) { " + BATCH_FIELDS + " } }"
REJECT = """
mutation($lineId: ID!, $code: String!) {
  recordDirectDebitRejection(lineId: $lineId, reasonCode: $code) {
    line { status rejectReason { code label } }
    errors { code field message }
  }
}
"""
SET_DIRECT_DEBIT = """
mutation($id: ID!, $enabled: Boolean!) {
  setDirectDebit(householdId: $id, enabled: $enabled) {
    mandate { directDebit } errors { code }
  }
}
"""
INVOICE_DUE = "query($id: ID!) { invoice(id: $id) { amountDue { cents } paid } }"


async def billed_october(clock: FrozenClock, families: int = 1) -> tuple[BillingTown, list[Family]]:
    """October booked (17 days at 2,50 €) and invoiced on 8 November."""
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    members = [await make_family(town, clock) for _ in range(families)]
    clock.current = datetime(2026, 11, 8, 6, 0, tzinfo=UTC)
    await invoice_month(date(2026, 10, 1), clock=clock, tenant_id=town.tenant.id)
    return town, members


def mandate_input(family: Family, guardian: Guardian, **overrides: Any) -> dict[str, Any]:
    return {
        "householdId": encode_id("Household", family.household.id),
        "guardianId": encode_id("Guardian", guardian.id),
        "iban": PAYER_IBAN,
        "signedOn": "2026-09-01",
        **overrides,
    }


def schema_errors(xml: str) -> list[str]:
    schema = xmlschema.XMLSchema(str(PAIN_008_XSD))
    return [str(error) for error in schema.iter_errors(xml)]


async def test_staff_record_a_mandate_with_checked_bank_details_and_parents_see_it_masked(
    api: GraphQL, clock: FrozenClock
) -> None:
    town, [family] = await billed_october(clock)
    staff = await token_for(town.staff, clock)
    guardian = await make_payer(family)

    wrong_iban = await api(
        CREATE_MANDATE,
        {"input": mandate_input(family, guardian, iban="FR14 2004 1010 0505 0001 3M02 607")},
        token=staff,
    )
    wrong_bic = await api(
        CREATE_MANDATE, {"input": mandate_input(family, guardian, bic="PSSTXXPP")}, token=staff
    )
    created = await api(CREATE_MANDATE, {"input": mandate_input(family, guardian)}, token=staff)

    assert wrong_iban["data"]["createSepaMandate"]["errors"] == [
        {
            "code": "IBAN_INVALID",
            "field": "iban",
            "message": "Cet IBAN n'est pas valide : vérifiez-le sur le RIB.",
        }
    ]
    assert [e["code"] for e in wrong_bic["data"]["createSepaMandate"]["errors"]] == ["BIC_INVALID"]
    mandate = created["data"]["createSepaMandate"]["mandate"]
    assert created["data"]["createSepaMandate"]["errors"] == []
    # The BIC comes from the IBAN's bank code when staff leave it out.
    assert (mandate["bic"], mandate["status"], mandate["sequenceType"]) == (
        PAYER_BIC,
        "ACTIVE",
        "FRST",
    )
    assert mandate["reference"] == f"FAM{town.tenant.id}-{family.household.id}-1"
    assert mandate["holderName"] == "Parent0 Test"
    parent = await token_for(family.parent, clock)
    seen = await api(MANDATES, {"id": encode_id("Household", family.household.id)}, token=parent)
    [shown] = seen["data"]["sepaMandates"]
    assert shown["iban"] == "**** **** **** **** **** ***2 606"
    assert "20041" not in str(seen)
    # One active mandate per household.
    again = await api(CREATE_MANDATE, {"input": mandate_input(family, guardian)}, token=staff)
    assert [e["code"] for e in again["data"]["createSepaMandate"]["errors"]] == [
        "MANDATE_ALREADY_ACTIVE"
    ]


async def test_a_guardian_who_is_not_the_payer_cannot_sign_and_the_ics_is_checked(
    api: GraphQL, clock: FrozenClock
) -> None:
    town, [family] = await billed_october(clock)
    staff = await token_for(town.staff, clock)
    guardian = await Guardian.get(household_id=family.household.id)

    refused = await api(CREATE_MANDATE, {"input": mandate_input(family, guardian)}, token=staff)
    bad_key = await api(
        SAVE_CREDITOR,
        {
            "authorityId": encode_id("BillingAuthority", town.authority.id),
            "input": {
                "code": "peri",
                "creditorIdentifier": "FR73ZZZ123456",
                "creditorName": "Régie",
                "iban": "FR76 3000 6000 0112 3456 7890 189",
            },
        },
        token=staff,
    )
    saved = await api(
        SAVE_CREDITOR,
        {
            "authorityId": encode_id("BillingAuthority", town.authority.id),
            "input": {
                "code": "peri",
                "creditorIdentifier": "fr72 zzz 123456",
                "creditorName": "Régie",
                "iban": "FR76 3000 6000 0112 3456 7890 189",
            },
        },
        token=staff,
    )

    assert [e["field"] for e in refused["data"]["createSepaMandate"]["errors"]] == ["guardianId"]
    assert [e["code"] for e in bad_key["data"]["saveSepaCreditor"]["errors"]] == [
        "CREDITOR_ID_INVALID"
    ]
    assert saved["data"]["saveSepaCreditor"]["creditor"] == {
        "code": "PERI",
        "creditorIdentifier": ICS,
        "iban": "FR7630006000011234567890189",
        "bic": "AGRIFRPPXXX",
    }


async def test_the_export_is_a_valid_pain_008_file_with_one_block_per_sequence_type(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    town, [first, recurring, card] = await billed_october(clock, families=3)
    await make_creditor(town, clock)
    await make_mandate(town, first, clock)
    await make_mandate(town, recurring, clock)
    await SepaMandate.filter(household_id=recurring.household.id).update(
        sequence_type=SequenceType.RCUR
    )
    # This one has a mandate but pays by card this month.
    await make_mandate(town, card, clock)
    parent = await token_for(card.parent, clock)
    stopped = await api(
        SET_DIRECT_DEBIT,
        {"id": encode_id("Household", card.household.id), "enabled": False},
        token=parent,
    )
    assert stopped["data"]["setDirectDebit"]["mandate"] == {"directDebit": False}
    staff = await token_for(town.staff, clock)

    result = await api(
        EXPORT,
        {"authorityId": encode_id("BillingAuthority", town.authority.id), "month": OCTOBER},
        token=staff,
    )

    payload = result["data"]["exportDirectDebits"]
    assert payload["errors"] == []
    batch = payload["batch"]
    assert (batch["status"], batch["lineCount"], batch["total"]) == (
        "EXPORTED",
        2,
        {"cents": 2 * 17 * LOW_PRICE, "text": "85,00 €"},
    )
    # The régie's due date (30 November) is the collection date.
    assert batch["collectionDate"] == "2026-11-30"
    assert sorted(line["sequenceType"] for line in batch["lines"]) == ["FRST", "RCUR"]
    response = await http.get(batch["downloadUrl"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    xml = response.text
    assert schema_errors(xml) == []
    document: Any = xmlschema.XMLSchema(str(PAIN_008_XSD)).to_dict(xml)
    initiation = document["CstmrDrctDbtInitn"]
    assert initiation["GrpHdr"]["NbOfTxs"] == "2"
    assert str(initiation["GrpHdr"]["CtrlSum"]) == "85.00"
    blocks = {block["PmtTpInf"]["SeqTp"]: block for block in initiation["PmtInf"]}
    assert set(blocks) == {"FRST", "RCUR"}
    frst = blocks["FRST"]
    assert frst["CdtrSchmeId"]["Id"]["PrvtId"]["Othr"][0]["Id"] == ICS
    assert frst["ReqdColltnDt"] == "2026-11-30"
    [transaction] = frst["DrctDbtTxInf"]
    invoice = await Invoice.get(household_id=first.household.id)
    assert transaction["DbtrAcct"]["Id"]["IBAN"] == PAYER_IBAN.replace(" ", "")
    assert transaction["DrctDbtTx"]["MndtRltdInf"]["MndtId"] == (
        f"FAM{town.tenant.id}-{first.household.id}-1"
    )
    assert str(transaction["InstdAmt"]["$"]) == "42.50"
    assert transaction["RmtInf"]["Ustrd"] == [
        f"Facture {invoice.number} Octobre 2026 ref {invoice.payment_reference}"
    ]
    # Staff of the town only: a parent following the link is refused.
    assert (await http.get(batch["downloadUrl"][:-2] + "xx")).status_code == 403
    clock.advance(timedelta(minutes=16))
    assert (await http.get(batch["downloadUrl"])).status_code == 403


async def test_exporting_the_same_month_twice_is_refused_until_the_batch_is_cancelled(
    api: GraphQL, clock: FrozenClock
) -> None:
    town, [family] = await billed_october(clock)
    await make_creditor(town, clock)
    await make_mandate(town, family, clock)
    staff = await token_for(town.staff, clock)
    variables = {"authorityId": encode_id("BillingAuthority", town.authority.id), "month": OCTOBER}
    first = (await api(EXPORT, variables, token=staff))["data"]["exportDirectDebits"]["batch"]

    twice = await api(EXPORT, variables, token=staff)
    cancelled = await api(CANCEL, {"id": first["id"]}, token=staff)
    again = await api(EXPORT, variables, token=staff)

    assert twice["data"]["exportDirectDebits"] == {
        "batch": None,
        "errors": [
            {
                "code": "ALREADY_EXPORTED",
                "field": "month",
                "message": "Les prélèvements de Octobre 2026 ont déjà été exportés : annulez "
                "d'abord ce lot pour en produire un nouveau.",
            }
        ],
    }
    assert cancelled["data"]["cancelDirectDebitBatch"]["batch"]["status"] == "CANCELLED"
    redo = again["data"]["exportDirectDebits"]["batch"]
    assert redo["lineCount"] == 1 and redo["id"] != first["id"]
    # A cancelled batch cannot be collected, a collected one cannot be cancelled.
    late = await api(COLLECTED, {"id": first["id"]}, token=staff)
    assert [e["code"] for e in late["data"]["markDirectDebitBatchCollected"]["errors"]] == [
        "BATCH_CLOSED"
    ]
    await api(COLLECTED, {"id": redo["id"]}, token=staff)
    refused = await api(CANCEL, {"id": redo["id"]}, token=staff)
    assert [e["code"] for e in refused["data"]["cancelDirectDebitBatch"]["errors"]] == [
        "BATCH_CLOSED"
    ]


async def test_no_creditor_or_nothing_to_debit_is_explained(
    api: GraphQL, clock: FrozenClock
) -> None:
    town, [family] = await billed_october(clock)
    staff = await token_for(town.staff, clock)
    variables = {"authorityId": encode_id("BillingAuthority", town.authority.id), "month": OCTOBER}

    no_creditor = await api(EXPORT, variables, token=staff)
    await make_creditor(town, clock)
    no_mandate = await api(EXPORT, variables, token=staff)

    assert [e["code"] for e in no_creditor["data"]["exportDirectDebits"]["errors"]] == [
        "NO_CREDITOR"
    ]
    assert no_mandate["data"]["exportDirectDebits"]["errors"][0]["message"] == (
        "Aucune facture de Octobre 2026 à prélever pour cette régie."
    )


async def test_collection_settles_and_a_rejection_makes_the_invoice_due_again_and_mails(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    town, [family] = await billed_october(clock)
    await make_creditor(town, clock)
    await make_mandate(town, family, clock)
    staff = await token_for(town.staff, clock)
    parent = await token_for(family.parent, clock)
    variables = {"authorityId": encode_id("BillingAuthority", town.authority.id), "month": OCTOBER}
    batch = (await api(EXPORT, variables, token=staff))["data"]["exportDirectDebits"]["batch"]
    invoice = await Invoice.get(household_id=family.household.id)
    invoice_id = encode_id("Invoice", invoice.id)
    assert (await api(INVOICE_DUE, {"id": invoice_id}, token=parent))["data"]["invoice"] == {
        "amountDue": {"cents": 4250},
        "paid": False,
    }

    collected = await api(COLLECTED, {"id": batch["id"]}, token=staff)

    assert collected["data"]["markDirectDebitBatchCollected"]["batch"]["status"] == "COLLECTED"
    assert (await api(INVOICE_DUE, {"id": invoice_id}, token=parent))["data"]["invoice"] == {
        "amountDue": {"cents": 0},
        "paid": True,
    }
    mandate = await SepaMandate.get(household_id=family.household.id)
    assert mandate.sequence_type == SequenceType.RCUR

    [line] = batch["lines"]
    unknown = await api(REJECT, {"lineId": line["id"], "code": "ZZ99"}, token=staff)
    rejected = await api(REJECT, {"lineId": line["id"], "code": "am04"}, token=staff)
    twice = await api(REJECT, {"lineId": line["id"], "code": "AM04"}, token=staff)
    await run_jobs()

    assert [e["field"] for e in unknown["data"]["recordDirectDebitRejection"]["errors"]] == [
        "reasonCode"
    ]
    assert rejected["data"]["recordDirectDebitRejection"]["line"] == {
        "status": "REJECTED",
        "rejectReason": {"code": "AM04", "label": "Provision insuffisante"},
    }
    assert [e["code"] for e in twice["data"]["recordDirectDebitRejection"]["errors"]] == [
        "ALREADY_REJECTED"
    ]
    assert (await api(INVOICE_DUE, {"id": invoice_id}, token=parent))["data"]["invoice"] == {
        "amountDue": {"cents": 4250},
        "paid": False,
    }
    await mandate.refresh_from_db()
    # The first collection came back: the next one is a first one again; AM04 keeps the mandate.
    assert (mandate.status, mandate.sequence_type) == (MandateStatus.ACTIVE, SequenceType.FRST)
    [mail] = [m for m in mailbox.to(family.parent.email) if "Prélèvement" in m["Subject"]]
    assert mail["Subject"] == f"Prélèvement rejeté – facture {invoice.number}"
    text = Mailbox.text(mail)
    assert "Le prélèvement de 42,50 € du 30/11/2026" in text
    assert "Motif : Provision insuffisante (AM04)." in text
    assert "Cette facture reste à régler : 42,50 €." in text
    assert "n'est plus valable" not in text


async def test_an_md01_rejection_revokes_the_mandate_and_later_exports_skip_it(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    town, [family] = await billed_october(clock)
    await make_creditor(town, clock)
    await make_mandate(town, family, clock)
    staff = await token_for(town.staff, clock)
    variables = {"authorityId": encode_id("BillingAuthority", town.authority.id), "month": OCTOBER}
    batch = (await api(EXPORT, variables, token=staff))["data"]["exportDirectDebits"]["batch"]
    [line] = batch["lines"]

    # Before the batch is collected: nothing was settled, nothing is reversed.
    await api(REJECT, {"lineId": line["id"], "code": "MD01"}, token=staff)
    await run_jobs()
    await api(CANCEL, {"id": batch["id"]}, token=staff)
    again = await api(EXPORT, variables, token=staff)

    mandate = await SepaMandate.get(household_id=family.household.id)
    assert mandate.status == MandateStatus.REVOKED
    assert mandate.revoked_reason == "Rejet MD01 : Absence de mandat ou mandat invalide"
    invoice = await Invoice.get(household_id=family.household.id)
    assert invoice.settled_cents == 0
    [mail] = [m for m in mailbox.to(family.parent.email) if "Prélèvement" in m["Subject"]]
    assert "Votre mandat de prélèvement n'est plus valable" in Mailbox.text(mail)
    assert [e["code"] for e in again["data"]["exportDirectDebits"]["errors"]] == [
        "NOTHING_TO_EXPORT"
    ]


async def test_parents_are_forbidden_staff_operations_and_other_households_are_not_found(
    api: GraphQL, clock: FrozenClock
) -> None:
    town, [family, neighbour] = await billed_october(clock, families=2)
    await make_creditor(town, clock)
    mandate = await make_mandate(town, family, clock)
    parent = await token_for(family.parent, clock)
    authority_id = encode_id("BillingAuthority", town.authority.id)
    guardian = await Guardian.get(household_id=family.household.id)

    export = await api(EXPORT, {"authorityId": authority_id, "month": OCTOBER}, token=parent)
    create = await api(CREATE_MANDATE, {"input": mandate_input(family, guardian)}, token=parent)
    revoke = await api(
        "mutation($id: ID!) { revokeSepaMandate(id: $id) { errors { code } } }",
        {"id": encode_id("SepaMandate", mandate.id)},
        token=parent,
    )
    other = await api(
        MANDATES, {"id": encode_id("Household", neighbour.household.id)}, token=parent
    )
    other_choice = await api(
        SET_DIRECT_DEBIT,
        {"id": encode_id("Household", neighbour.household.id), "enabled": True},
        token=parent,
    )

    assert [e["code"] for e in export["data"]["exportDirectDebits"]["errors"]] == ["FORBIDDEN"]
    assert [e["code"] for e in create["data"]["createSepaMandate"]["errors"]] == ["FORBIDDEN"]
    assert [e["code"] for e in revoke["data"]["revokeSepaMandate"]["errors"]] == ["FORBIDDEN"]
    assert other["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert [e["code"] for e in other_choice["data"]["setDirectDebit"]["errors"]] == ["NOT_FOUND"]
    # Staff of another town see neither the régie nor the mandate.
    elsewhere = await make_town()
    from models.accounts import AccountRole
    from tests.factories import make_account

    stranger = await token_for(await make_account(elsewhere, clock, role=AccountRole.ADMIN), clock)
    foreign_export = await api(
        EXPORT, {"authorityId": authority_id, "month": OCTOBER}, token=stranger
    )
    foreign_revoke = await api(
        "mutation($id: ID!) { revokeSepaMandate(id: $id) { errors { code } } }",
        {"id": encode_id("SepaMandate", mandate.id)},
        token=stranger,
    )
    assert [e["code"] for e in foreign_export["data"]["exportDirectDebits"]["errors"]] == [
        "NOT_FOUND"
    ]
    assert [e["code"] for e in foreign_revoke["data"]["revokeSepaMandate"]["errors"]] == [
        "NOT_FOUND"
    ]


async def run_command(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli",
        *args,
        cwd=Path(__file__).parent.parent.parent,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_sepa_export_command_writes_the_file_once(
    backend: Backend, clock: FrozenClock, tmp_path: Path
) -> None:
    town, [family] = await billed_october(clock)
    creditor = await make_creditor(town, clock)
    # Codes are per town: give this test's régie a code no other test uses.
    creditor.code = f"CLI{town.tenant.id}"
    await creditor.save()
    await make_mandate(town, family, clock)
    output = tmp_path / "octobre.xml"

    status, out, err = await run_command(
        "sepa-export", "--regie", creditor.code, "--month", "2026-10", "--output", str(output)
    )
    again_status, _, again_err = await run_command(
        "sepa-export", "--regie", creditor.code, "--month", "2026-10", "--output", str(output)
    )

    assert status == 0, err
    assert "Octobre 2026 : 1 prélèvement(s), total 42,50 €" in out
    assert schema_errors(output.read_text()) == []
    assert again_status != 0
    assert "ont déjà été exportés" in again_err


async def test_two_exports_at_once_make_one_batch(backend: Backend, clock: FrozenClock) -> None:
    # The race is real on PostgreSQL (creditor row locked FOR UPDATE); SQLite has one writer.
    town, families = await billed_october(clock, families=3)
    await make_creditor(town, clock)
    for family in families:
        await make_mandate(town, family, clock)

    outcomes = await asyncio.gather(
        *(
            export_month(town.staff, town.authority.id, date(2026, 10, 1), clock=clock)
            for _ in range(3)
        ),
        return_exceptions=True,
    )

    batches = [outcome for outcome in outcomes if isinstance(outcome, DirectDebitBatch)]
    refusals = [outcome for outcome in outcomes if isinstance(outcome, DomainError)]
    assert len(batches) == 1 and batches[0].line_count == 3
    assert [error.code for error in refusals] == [DirectDebitErrorCode.ALREADY_EXPORTED] * 2
    assert await DirectDebitLine.filter(batch__authority_id=town.authority.id).count() == 3


async def test_collecting_settles_every_invoice_in_the_same_statements_for_more_lines(
    backend: Backend, clock: FrozenClock
) -> None:
    small, [alone] = await billed_october(clock)
    big, trio = await billed_october(clock, families=3)
    counts = []
    for town, families in ((small, [alone]), (big, trio)):
        await make_creditor(town, clock)
        for family in families:
            await make_mandate(town, family, clock)
        batch = await export_month(town.staff, town.authority.id, date(2026, 10, 1), clock=clock)
        async with count_queries() as statements:
            await mark_collected(town.staff, batch.id, clock=clock)
        counts.append(statements.count)
        for family in families:
            invoice = await Invoice.get(household_id=family.household.id)
            assert invoice.settled_cents == invoice.total_cents == 17 * LOW_PRICE
        assert await SepaMandate.filter(
            household_id__in=[f.household.id for f in families], sequence_type=SequenceType.RCUR
        ).count() == len(families)

    assert counts[0] == counts[1]


REVOKE = """
mutation($id: ID!, $reason: String!) {
  revokeSepaMandate(id: $id, reason: $reason) {
    mandate { status revokedReason revokedAt } errors { code }
  }
}
"""


async def test_staff_revoke_a_mandate_and_the_household_is_no_longer_debited(
    api: GraphQL, clock: FrozenClock
) -> None:
    town, [family] = await billed_october(clock)
    await make_creditor(town, clock)
    mandate = await make_mandate(town, family, clock)
    staff = await token_for(town.staff, clock)
    mandate_id = encode_id("SepaMandate", mandate.id)

    revoked = await api(REVOKE, {"id": mandate_id, "reason": "Courrier du payeur"}, token=staff)
    twice = await api(REVOKE, {"id": mandate_id, "reason": ""}, token=staff)
    export = await api(
        EXPORT,
        {"authorityId": encode_id("BillingAuthority", town.authority.id), "month": OCTOBER},
        token=staff,
    )

    shown = revoked["data"]["revokeSepaMandate"]["mandate"]
    assert (shown["status"], shown["revokedReason"]) == ("REVOKED", "Courrier du payeur")
    assert shown["revokedAt"] is not None
    assert [e["code"] for e in twice["data"]["revokeSepaMandate"]["errors"]] == ["MANDATE_REVOKED"]
    assert [e["code"] for e in export["data"]["exportDirectDebits"]["errors"]] == [
        "NOTHING_TO_EXPORT"
    ]
    # A new mandate can now be signed: it starts again with a first collection.
    guardian = await Guardian.get(household_id=family.household.id, is_payer=True)
    renewed = await api(
        CREATE_MANDATE,
        {"input": mandate_input(family, guardian, reference="RUM-2026-0042")},
        token=staff,
    )
    assert renewed["data"]["createSepaMandate"]["mandate"]["reference"] == "RUM-2026-0042"
    assert renewed["data"]["createSepaMandate"]["mandate"]["sequenceType"] == "FRST"
