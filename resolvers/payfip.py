"""The DGFiP's PayFiP Régie web service, behind ``PayfipClient``.

PayFiP's notification only names an ``idOp``: what happened is whatever
``recupererDetailPaiementSecurise`` answers, so every result goes through this interface.
``FakePayfip`` plays the DGFiP locally (tests, demo): it hands out idOps and answers P5
("résultat non connu") until told how the payment ended.
"""

import uuid
from dataclasses import dataclass, field
from typing import Protocol


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
    """A local stand-in for the DGFiP, shared by the API and the in-process worker."""

    requests: dict[str, PayfipRequest] = field(default_factory=dict)
    results: dict[str, str] = field(default_factory=dict)

    async def create_payment(self, request: PayfipRequest) -> str:
        idop = str(uuid.uuid4())
        self.requests[idop] = request
        return idop

    async def detail(self, idop: str) -> PayfipDetail:
        request = self.requests.get(idop)
        if request is None:
            raise PayfipFault("P1")
        if idop not in self.results:
            raise PayfipFault("P5")
        return PayfipDetail(
            idop, request.numcli, request.refdet, request.montant, self.results[idop]
        )

    def finish(self, idop: str, resultrans: str) -> None:
        """What the parent did on PayFiP's page: P paid, R refused, A abandoned…"""
        self.results[idop] = resultrans


FAKE_PAYFIP = FakePayfip()


def payfip_client() -> PayfipClient:
    """The client in use: only the local fake ships (see README, PayFiP)."""
    return FAKE_PAYFIP
