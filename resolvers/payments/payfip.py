"""The DGFiP's PayFiP Régie web service, behind ``PayfipClient``.

PayFiP's notification only names an ``idOp``: what happened is whatever
``recupererDetailPaiementSecurise`` answers, so every result goes through this interface.
``SoapPayfip`` calls the web service (``FAMILLE_PAYFIP_SERVICE_URL``); ``FakePayfip`` plays
the DGFiP locally (tests, demo, and whenever no URL is set): it hands out idOps, answers
P1 for an idOp it never gave, and P5 ("résultat non connu") until told how the payment
ended. It keeps them in the database, so separate API and worker processes share it.
"""

import uuid
from dataclasses import asdict, dataclass, fields
from typing import Protocol
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape

import httpx
from defusedxml.ElementTree import fromstring

from models.payments import FakePayfipOperation
from settings import get_settings

NAMESPACE = (
    "http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/"
    "contrat_paiement_securise/PaiementSecuriseService"
)
TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class PayfipRequest:
    """The arguments of ``creerPaiementSecurise``."""

    numcli: str
    exer: str
    refdet: str
    montant: int
    mel: str
    objet: str
    saisie: str
    urlnotif: str
    urlredirect: str


@dataclass(frozen=True)
class PayfipDetail:
    """What ``recupererDetailPaiementSecurise`` says about an idOp."""

    idop: str
    numcli: str
    refdet: str
    montant: int
    resultrans: str


class PayfipFault(Exception):
    """A ``FonctionnelleErreur``: P1 idOp unknown (or purged), P5 result not known yet."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class PayfipClient(Protocol):
    async def create_payment(self, request: PayfipRequest) -> str:
        """Register the payment, return its idOp (the parent is sent to PayFiP with it)."""
        ...

    async def detail(self, idop: str) -> PayfipDetail:
        """The result of an idOp, or PayfipFault."""
        ...


@dataclass
class FakePayfip:
    """A local stand-in for the DGFiP. Its payments live in a table
    (``payfip_fake_operation``), like a remote service's, so that every process (API,
    workers) sees the idOps the others opened and the results the parents gave."""

    async def create_payment(self, request: PayfipRequest) -> str:
        idop = str(uuid.uuid4())
        await FakePayfipOperation.create(idop=idop, **asdict(request))
        return idop

    async def detail(self, idop: str) -> PayfipDetail:
        operation = await FakePayfipOperation.get_or_none(idop=idop)
        if operation is None:
            raise PayfipFault("P1")
        if operation.resultrans is None:
            raise PayfipFault("P5")
        return PayfipDetail(
            idop, operation.numcli, operation.refdet, operation.montant, operation.resultrans
        )

    async def request_of(self, idop: str) -> PayfipRequest | None:
        """What ``creerPaiementSecurise`` was given for an idOp (None if unknown)."""
        operation = await FakePayfipOperation.get_or_none(idop=idop)
        if operation is None:
            return None
        return PayfipRequest(**{name: getattr(operation, name) for name in _REQUEST_FIELDS})

    async def finish(self, idop: str, resultrans: str) -> None:
        """What the parent did on PayFiP's page: P paid, R refused, A abandoned…"""
        await FakePayfipOperation.filter(idop=idop).update(resultrans=resultrans)


_REQUEST_FIELDS = tuple(field.name for field in fields(PayfipRequest))


def _local(element: Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _child_text(parent: Element, name: str) -> str:
    for element in parent.iter():
        if _local(element) == name:
            return (element.text or "").strip()
    return ""


@dataclass
class SoapPayfip:
    """The DGFiP's SOAP web service (``…/tpa/services/securite``), over httpx."""

    url: str
    transport: httpx.AsyncBaseTransport | None = None

    async def _call(self, operation: str, fields: list[tuple[str, str]]) -> Element:
        arguments = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in fields)
        envelope = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            f'xmlns:pai="{NAMESPACE}"><soapenv:Body><pai:{operation}><arg0>{arguments}</arg0>'
            f"</pai:{operation}></soapenv:Body></soapenv:Envelope>"
        )
        async with httpx.AsyncClient(transport=self.transport, timeout=TIMEOUT_SECONDS) as client:
            response = await client.post(
                self.url,
                content=envelope.encode(),
                headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
            )
        root: Element = fromstring(response.content)
        for element in root.iter():
            if _local(element) == "Fault":
                # FonctionnelleErreur: P1 idOp unknown, P5 result not known yet, R3…
                raise PayfipFault(_child_text(element, "code") or "FAULT")
        for element in root.iter():
            if _local(element) == "return":
                return element
        raise PayfipFault("NO_RETURN")

    async def create_payment(self, request: PayfipRequest) -> str:
        answer = await self._call(
            "creerPaiementSecurise",
            [
                ("exer", request.exer),
                ("mel", request.mel),
                ("montant", str(request.montant)),
                ("numcli", request.numcli),
                ("objet", request.objet),
                ("refdet", request.refdet),
                ("saisie", request.saisie),
                ("urlnotif", request.urlnotif),
                ("urlredirect", request.urlredirect),
            ],
        )
        return _child_text(answer, "idOp")

    async def detail(self, idop: str) -> PayfipDetail:
        answer = await self._call("recupererDetailPaiementSecurise", [("idOp", idop)])
        amount = _child_text(answer, "montant")
        return PayfipDetail(
            idop=_child_text(answer, "idOp") or idop,
            numcli=_child_text(answer, "numcli"),
            refdet=_child_text(answer, "refdet"),
            montant=int(amount) if amount.isdigit() else -1,
            resultrans=_child_text(answer, "resultrans"),
        )


FAKE_PAYFIP = FakePayfip()


def payfip_client() -> PayfipClient:
    """The DGFiP when its URL is set, else the local fake."""
    url = get_settings().payfip_service_url
    return SoapPayfip(url) if url else FAKE_PAYFIP
