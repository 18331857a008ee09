"""A régie taking online payments and a family with open invoices, plus the callbacks the
three providers send, built and signed here from their documented algorithms (never
through the code under test)."""

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from gql.ids import encode_id
from models.accounts import Account, AccountRole
from models.authorities import BillingAuthority
from models.billing import Invoice, InvoiceDelivery, InvoiceKind
from models.households import Guardian, Household
from models.payments import (
    Payment,
    PaymentAttempt,
    PaymentKind,
    PaymentMode,
    PaymentProvider,
)
from models.tenants import Tenant
from resolvers.billing.billing import AuthorityForm, save_billing_authority
from resolvers.core.clock import FrozenClock
from resolvers.payments.payments import SetupForm, save_payment_setup
from tests.conftest import GraphQL
from tests.factories import make_account, make_household, token_for

PAYZEN_SITE = "12345678"
PAYZEN_TEST_KEY = "7654321098765432"
PAYZEN_PRODUCTION_KEY = "1122334455667788"
PAYBOX_HMAC_KEY = "0123456789ABCDEF" * 8
PAYFIP_NUMCLI = "012345"
# Invoices of October 2026: online payment from 08/11 09:30 to 30/11 23:59 (Paris).
OPENS = datetime(2026, 11, 8, 8, 30, tzinfo=UTC)
CLOSES = datetime(2026, 11, 30, 22, 59, tzinfo=UTC)

START = """
mutation($ids: [ID!]!, $amount: Int) {
  startPayment(invoiceIds: $ids, amountCents: $amount) {
    request { attemptReference provider url method fields { name value } amount { cents }
              expiresAt }
    errors { code message field }
  }
}
"""
INVOICE = "query($id: ID!) { invoice(id: $id) { amountDue { cents } paid } }"
PAYMENTS = """
query($id: ID!) {
  payments(householdId: $id) {
    kind provider providerTransactionId amount { cents }
    allocations { invoiceNumber amount { cents } }
  }
}
"""
REVIEWS = """
query($resolved: Boolean!) {
  paymentsToReview(resolved: $resolved) {
    id reason amount { cents } message attemptReference provider resolutionNote
  }
}
"""


@dataclass
class PayingFamily:
    tenant: Tenant
    staff: Account
    authority: BillingAuthority
    household: Household
    parent: Account
    token: str
    invoices: list[Invoice]
    paybox_key: rsa.RSAPrivateKey | None = None

    def invoice_id(self, index: int = 0) -> str:
        return encode_id("Invoice", self.invoices[index].id)

    @property
    def household_id(self) -> str:
        return encode_id("Household", self.household.id)


def paybox_keys() -> tuple[rsa.RSAPrivateKey, str]:
    """A key pair standing in for Paybox's: we hold the private half in tests."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return key, pem.decode()


async def make_invoice(
    tenant: Tenant,
    authority: BillingAuthority,
    household: Household,
    total: int,
    number: str,
    revision: int = 0,
) -> Invoice:
    """October's invoice (or a later correction of it, by revision), issued as-is."""
    return await Invoice.create(
        tenant_id=tenant.id,
        authority_id=authority.id,
        household_id=household.id,
        month=date(2026, 10, 1),
        revision=revision,
        kind=InvoiceKind.INVOICE if revision == 0 else InvoiceKind.COMPLEMENT,
        number=number,
        issued_on=date(2026, 11, 1),
        due_on=date(2026, 11, 30),
        payment_opens_at=OPENS,
        payment_closes_at=CLOSES,
        total_cents=total,
        payer_name="M. Test",
        payer_address="1 rue de la Paix\n81100 Castres",
        household_reference="F0001",
        payment_reference=number,
        delivery=InvoiceDelivery.EMAIL,
        created_at=OPENS,
    )


async def paying_family(
    clock: FrozenClock,
    provider: PaymentProvider = PaymentProvider.PAYZEN,
    *,
    totals: tuple[int, ...] = (4250,),
    mode: PaymentMode = PaymentMode.TEST,
) -> PayingFamily:
    """Staff set the régie's provider through the resolver; invoices of 42,50 € by default."""
    clock.current = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    tenant = await Tenant.create(slug=f"ville-{uuid.uuid4().hex[:10]}", name="Ville de Castres")
    staff = await make_account(tenant, clock, role=AccountRole.ADMIN)
    authority = await save_billing_authority(
        staff, AuthorityForm(name="Régie périscolaire"), authority_id=None, clock=clock
    )
    household = await make_household(staff, clock, children=1, guardians=1)
    parent = await make_account(tenant, clock)
    await Guardian.filter(household=household).update(account_id=parent.id)
    private_key = None
    if provider == PaymentProvider.PAYZEN:
        form = SetupForm(
            provider,
            mode,
            payzen_site_id=PAYZEN_SITE,
            payzen_test_key=PAYZEN_TEST_KEY,
            payzen_production_key=PAYZEN_PRODUCTION_KEY,
        )
    elif provider == PaymentProvider.PAYBOX:
        private_key, pem = paybox_keys()
        form = SetupForm(
            provider,
            mode,
            paybox_site="1999888",
            paybox_rang="32",
            paybox_identifiant="107904482",
            paybox_hmac_key=PAYBOX_HMAC_KEY,
            paybox_public_key_pem=pem,
        )
    else:
        form = SetupForm(provider, mode, payfip_numcli=PAYFIP_NUMCLI)
    await save_payment_setup(staff, authority.id, form, clock=clock)
    invoices = [
        await make_invoice(tenant, authority, household, total, f"26100000{index + 1:02d}", index)
        for index, total in enumerate(totals)
    ]
    return PayingFamily(
        tenant,
        staff,
        authority,
        household,
        parent,
        await token_for(parent, clock),
        invoices,
        private_key,
    )


async def make_payment(family: PayingFamily, cents: int, now: datetime) -> Payment:
    """A PayZen payment of ``cents`` recorded for the family, with its attempt."""
    attempt = await PaymentAttempt.create(
        tenant_id=family.tenant.id,
        authority_id=family.authority.id,
        household_id=family.household.id,
        provider=PaymentProvider.PAYZEN,
        mode=PaymentMode.TEST,
        shop=PAYZEN_SITE,
        order_ref=uuid.uuid4().hex[:20],
        trans_day=now.date(),
        return_token=uuid.uuid4().hex,
        amount_cents=cents,
        email="martin@exemple.fr",
        created_at=now,
        expires_at=now + timedelta(minutes=15),
        updated_at=now,
    )
    return await Payment.create(
        attempt=attempt,
        household_id=family.household.id,
        provider=PaymentProvider.PAYZEN,
        provider_txn_id=uuid.uuid4().hex,
        kind=PaymentKind.PAYMENT,
        amount_cents=cents,
        currency="EUR",
        created_at=now,
    )


async def start(
    api: GraphQL, family: PayingFamily, indexes: tuple[int, ...] = (0,), amount: int | None = None
) -> dict[str, Any]:
    result = await api(
        START,
        {"ids": [family.invoice_id(i) for i in indexes], "amount": amount},
        token=family.token,
    )
    payload: dict[str, Any] = result["data"]["startPayment"]
    return payload


def form_fields(request: dict[str, Any]) -> dict[str, str]:
    return {field["name"]: field["value"] for field in request["fields"]}


# --- PayZen: HMAC-SHA-256, Base64, of the sorted vads_ values and the key, joined by "+".


def payzen_sign(fields: dict[str, str], key: str) -> str:
    message = "+".join([fields[k] for k in sorted(fields) if k.startswith("vads_")] + [key])
    digest = hmac.new(key.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def payzen_ipn(
    request: dict[str, Any],
    status: str = "CAPTURED",
    *,
    uuid_: str | None = None,
    key: str = PAYZEN_TEST_KEY,
    source: str = "PAY",
    operation: str | None = "DEBIT",
    suffix: str = "",
    **overrides: str,
) -> dict[str, str]:
    """The form PayZen POSTs for the payment the request started; the transaction's uuid
    is the same for every event of that payment unless given."""
    sent = form_fields(request)
    uuid_ = uuid_ or hashlib.md5(sent["vads_order_id"].encode() + suffix.encode()).hexdigest()
    fields = {
        name: sent[name]
        for name in (
            "vads_site_id",
            "vads_ctx_mode",
            "vads_trans_id",
            "vads_trans_date",
            "vads_amount",
            "vads_currency",
            "vads_order_id",
            "vads_cust_email",
        )
    }
    fields |= {
        "vads_trans_status": status,
        "vads_trans_uuid": uuid_,
        "vads_result": "00" if status in ("AUTHORISED", "CAPTURED") else "05",
        "vads_auth_result": "00",
        "vads_url_check_src": source,
        "vads_hash": hashlib.sha256(uuid_.encode()).hexdigest(),
        "vads_card_brand": "CB",
        "vads_payment_certificate": "e9a5c3b1",
        "vads_effective_creation_date": sent["vads_trans_date"],
    }
    if operation is not None:
        fields["vads_operation_type"] = operation
    fields |= overrides
    fields["signature"] = payzen_sign(fields, key)
    return fields


# --- Paybox: RSA-SHA1 over the URL-encoded variables before the signature, Base64 then
# URL-encoded, last.


def paybox_variables(
    request: dict[str, Any],
    error: str = "00000",
    *,
    number: str = "601234567",
    amount: str | None = None,
) -> list[tuple[str, str]]:
    """The PBX_RETOUR variables Paybox sends about the payment the request started."""
    sent = form_fields(request)
    return [
        ("montant", amount or sent["PBX_TOTAL"].lstrip("0")),
        ("reference", sent["PBX_CMD"]),
        ("code_autorisation", "XXXXXX"),
        ("erreur", error),
        ("numero_appel", "0987654"),
        ("numero_transaction", number),
        ("date_transaction", "23112026"),
        ("heure_transaction", "10:00:00"),
    ]


def paybox_signed(pairs: list[tuple[str, str]], key: rsa.RSAPrivateKey) -> str:
    """These variables URL-encoded in this order, then the RSA-SHA1 signature of exactly
    that string, Base64 then URL-encoded, last."""
    signed = "&".join(f"{name}={quote(value, safe='')}" for name, value in pairs)
    signature = key.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA1())
    return f"{signed}&signature={quote(base64.b64encode(signature).decode(), safe='')}"


def paybox_query(
    family: PayingFamily,
    request: dict[str, Any],
    error: str = "00000",
    *,
    number: str = "601234567",
    amount: str | None = None,
    key: rsa.RSAPrivateKey | None = None,
) -> str:
    signer = key or family.paybox_key
    assert signer is not None
    return paybox_signed(paybox_variables(request, error, number=number, amount=amount), signer)


async def invoice_due(api: GraphQL, family: PayingFamily, index: int = 0) -> int:
    result = await api(INVOICE, {"id": family.invoice_id(index)}, token=family.token)
    cents: int = result["data"]["invoice"]["amountDue"]["cents"]
    return cents


async def post_payzen(http: httpx.AsyncClient, fields: dict[str, str]) -> httpx.Response:
    return await http.post("/payments/payzen/ipn", data=fields)


def later(clock: FrozenClock, minutes: int) -> None:
    clock.advance(timedelta(minutes=minutes))
