"""The PayFiP SOAP client against a local stand-in of the DGFiP's web service: the
envelopes it sends, the answers and faults it reads."""

import httpx
import pytest
from defusedxml.ElementTree import fromstring
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from resolvers.payments.payfip import NAMESPACE, PayfipFault, PayfipRequest, SoapPayfip

IDOP = "3f2a1c9e-8b7d-4e6f-a5b4-c3d2e1f0a9b8"
RESPONSE_NS = "http://securite.service.tpa.cp.finances.gouv.fr/reponse"


def envelope(body: str, status: int = 200) -> Response:
    xml = (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        f"<soap:Body>{body}</soap:Body></soap:Envelope>"
    )
    return Response(xml, status_code=status, media_type="text/xml")


def stand_in(received: list[dict[str, str]], results: dict[str, str]) -> Starlette:
    """Answers like the DGFiP: an idOp, a detail, or a FonctionnelleErreur."""

    async def securite(request: Request) -> Response:
        root = fromstring(await request.body())
        [operation] = [el for el in root.iter() if el.tag.startswith(f"{{{NAMESPACE}}}")]
        arg0 = operation.find("arg0")
        assert arg0 is not None
        arguments = {el.tag: el.text or "" for el in arg0}
        received.append({"operation": operation.tag.split("}")[1], **arguments})
        if operation.tag.endswith("creerPaiementSecurise"):
            return envelope(
                f'<ns2:creerPaiementSecuriseResponse xmlns:ns2="{NAMESPACE}">'
                f"<return><idOp>{IDOP}</idOp></return></ns2:creerPaiementSecuriseResponse>"
            )
        if arguments["idOp"] not in results:
            return envelope(
                "<soap:Fault><faultcode>soap:Server</faultcode><faultstring>fault"
                f'</faultstring><detail><ns2:FonctionnelleErreur xmlns:ns2="{NAMESPACE}">'
                "<code>P5</code><descriptif>Résultat de la transaction non connu"
                "</descriptif></ns2:FonctionnelleErreur></detail></soap:Fault>",
                status=500,
            )
        return envelope(
            f'<ns2:recupererDetailPaiementSecuriseResponse xmlns:ns2="{NAMESPACE}">'
            f'<return xmlns:r="{RESPONSE_NS}"><r:dattrans>23112026</r:dattrans>'
            "<r:exer>2026</r:exer><r:heurtrans>1012</r:heurtrans>"
            f"<r:idOp>{IDOP}</r:idOp><r:mel>parent@example.fr</r:mel>"
            "<r:montant>4250</r:montant><r:numauto>123456</r:numauto>"
            "<r:numcli>012345</r:numcli><r:objet>Factures 2610000001</r:objet>"
            "<r:refdet>F261123ABCDEF1234</r:refdet>"
            f"<r:resultrans>{results[arguments['idOp']]}</r:resultrans>"
            "<r:saisie>T</r:saisie></return></ns2:recupererDetailPaiementSecuriseResponse>"
        )

    return Starlette(routes=[Route("/tpa/services/securite", securite, methods=["POST"])])


@pytest.fixture
def received() -> list[dict[str, str]]:
    return []


async def test_create_then_detail_then_fault(received: list[dict[str, str]]) -> None:
    results: dict[str, str] = {}
    client = SoapPayfip(
        "http://dgfip.test/tpa/services/securite",
        httpx.ASGITransport(app=stand_in(received, results)),
    )
    idop = await client.create_payment(
        PayfipRequest(
            numcli="012345",
            exer="2026",
            refdet="F261123ABCDEF1234",
            montant=4250,
            mel="parent@example.fr",
            objet="Factures 2610000001",
            saisie="T",
            urlnotif="https://famille.example/payments/payfip/notify",
            urlredirect="https://famille.example/paiement/retour/abc&def",
        )
    )
    assert idop == IDOP
    assert received[0] == {
        "operation": "creerPaiementSecurise",
        "exer": "2026",
        "mel": "parent@example.fr",
        "montant": "4250",
        "numcli": "012345",
        "objet": "Factures 2610000001",
        "refdet": "F261123ABCDEF1234",
        "saisie": "T",
        "urlnotif": "https://famille.example/payments/payfip/notify",
        "urlredirect": "https://famille.example/paiement/retour/abc&def",  # escaped in XML
    }
    with pytest.raises(PayfipFault) as fault:
        await client.detail(IDOP)
    assert fault.value.code == "P5"
    results[IDOP] = "P"
    detail = await client.detail(IDOP)
    assert (detail.idop, detail.numcli, detail.refdet, detail.montant, detail.resultrans) == (
        IDOP,
        "012345",
        "F261123ABCDEF1234",
        4250,
        "P",
    )
    assert received[-1] == {"operation": "recupererDetailPaiementSecurise", "idOp": IDOP}
