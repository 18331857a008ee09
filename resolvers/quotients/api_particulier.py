"""API Particulier's quotient endpoint (CAF or MSA), behind ``QuotientClient``.

``ApiParticulier`` calls ``GET /v3/dss/quotient_familial/identite`` with the town's token
(``Authorization: Bearer``) and SIRET (``recipient``), identifying the parent by birth
name, given names, sex, birth date and place (/work/shared/TREASURY.md §3).
``FakeApiParticulier`` plays the CAF and the MSA locally (tests, demo, and whenever no URL
is set): its family files are rows of ``fake_quotient_file``, so the API, the worker and
the CLI all see the same ones, as with PayFiP's fake. Both raise ``QuotientFailure`` with
the reason in French, the provider's own words appended when it gave some.
"""

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import httpx

from models.quotients import FakeQuotientFile
from settings import get_settings

PATH = "/v3/dss/quotient_familial/identite"
FRANCE = "99100"
TIMEOUT_SECONDS = 15
PROVIDERS = ("CNAF", "MSA")

# What each status of API Particulier means for the staff member who asked.
REASONS: dict[int, str] = {
    400: "API Particulier refuse la demande : des informations d'identité manquent ou sont "
    "mal formées.",
    401: "Le jeton API Particulier de la commune est refusé ou expiré.",
    403: "Le jeton API Particulier de la commune n'a pas accès au quotient familial.",
    404: "Aucun dossier allocataire n'a été trouvé à la CAF ni à la MSA pour cette identité.",
    422: "L'identité n'a pas pu être rapprochée d'un allocataire : vérifiez le nom de "
    "naissance, les prénoms, le sexe, la date et le lieu de naissance.",
    429: "Trop d'appels à API Particulier : réessayez dans une minute.",
    502: "La CAF ou la MSA a répondu par une erreur.",
    503: "API Particulier est momentanément indisponible.",
    504: "La CAF ou la MSA n'a pas répondu à temps.",
}
UNREACHABLE = "API Particulier ne répond pas : réessayez plus tard."


@dataclass(frozen=True)
class QuotientQuery:
    """Who to look up, as API Particulier's identity lookup asks."""

    birth_name: str
    first_names: tuple[str, ...]
    sex: str  # M or F
    birth_date: date
    birth_country_code: str  # COG, 99100 = France
    birth_commune_code: str  # COG, when born in France


@dataclass(frozen=True)
class QuotientAnswer:
    """The family quotient and the month it applies to, as the provider computed it."""

    provider: str  # CNAF or MSA
    value: int
    year: int
    month: int


class QuotientFailure(Exception):
    """The lookup failed: ``status`` (0 when unreachable) and the reason in French."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class QuotientClient(Protocol):
    async def quotient(self, query: QuotientQuery) -> QuotientAnswer:
        """The household's quotient, or QuotientFailure."""
        ...


def failure_for(status: int, body: Any) -> QuotientFailure:
    """The French reason of an error answer, with the provider's detail when given."""
    reason = REASONS.get(status, f"API Particulier a répondu par une erreur {status}.")
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        error = errors[0]
        detail = str(error.get("detail") or error.get("title") or "").strip()
        meta = error.get("meta")
        provider = str(meta.get("provider") or "") if isinstance(meta, dict) else ""
        if detail:
            source = provider or "API Particulier"
            reason = f"{reason} Réponse de {source} : « {detail} »"
    return QuotientFailure(status, reason)


def answer_from(body: Any) -> QuotientAnswer:
    """The quotient of a 200 answer (``data.quotient_familial``); a file without one
    is a failure too, said in French."""
    data = body.get("data") if isinstance(body, dict) else None
    quotient = data.get("quotient_familial") if isinstance(data, dict) else None
    if not isinstance(quotient, dict) or quotient.get("valeur") is None:
        raise QuotientFailure(
            200, "Le dossier allocataire a été trouvé mais ne donne pas de quotient familial."
        )
    provider = str(quotient.get("fournisseur") or "").upper()
    return QuotientAnswer(
        provider=provider if provider in PROVIDERS else "CNAF",
        value=int(quotient["valeur"]),
        year=int(quotient["annee"]),
        month=int(quotient["mois"]),
    )


@dataclass
class ApiParticulier:
    """API Particulier over httpx."""

    base_url: str
    token: str
    recipient: str
    transport: httpx.AsyncBaseTransport | None = None

    def parameters(self, query: QuotientQuery) -> list[tuple[str, str | int | float | bool | None]]:
        """The query string: ``prenoms[]`` once per given name (TREASURY.md §3)."""
        params: list[tuple[str, str | int | float | bool | None]] = [
            ("recipient", self.recipient),
            ("nomNaissance", query.birth_name),
            *(("prenoms[]", name) for name in query.first_names),
            ("sexeEtatCivil", query.sex),
            ("codeCogInseePaysNaissance", query.birth_country_code),
            ("anneeDateNaissance", str(query.birth_date.year)),
            ("moisDateNaissance", str(query.birth_date.month)),
            ("jourDateNaissance", str(query.birth_date.day)),
        ]
        if query.birth_country_code == FRANCE:
            params.append(("codeCogInseeCommuneNaissance", query.birth_commune_code))
        return params

    async def quotient(self, query: QuotientQuery) -> QuotientAnswer:
        try:
            async with httpx.AsyncClient(
                transport=self.transport, timeout=TIMEOUT_SECONDS
            ) as client:
                response = await client.get(
                    self.base_url.rstrip("/") + PATH,
                    params=self.parameters(query),
                    headers={
                        "Authorization": f"Bearer {self.token}",
                        "Accept": "application/json",
                    },
                )
        except httpx.HTTPError:
            raise QuotientFailure(0, UNREACHABLE) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200:
            raise failure_for(response.status_code, body)
        return answer_from(body)


def plain_upper(text: str) -> str:
    """Upper case without accents: how the fake files are keyed."""
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).upper().split())


@dataclass
class FakeApiParticulier:
    """A local CAF/MSA: a file matches on birth name, first given name and sex."""

    async def add_file(
        self,
        birth_name: str,
        first_name: str,
        sex: str,
        *,
        status: int = 200,
        provider: str = "CNAF",
        value: int = 0,
        year: int = 0,
        month: int = 0,
    ) -> None:
        """Give the fake a family file (or an error to answer for that identity)."""
        await FakeQuotientFile.update_or_create(
            {"status": status, "provider": provider, "value": value, "year": year, "month": month},
            birth_name=plain_upper(birth_name),
            first_name=plain_upper(first_name),
            sex=sex,
        )

    async def quotient(self, query: QuotientQuery) -> QuotientAnswer:
        found = await FakeQuotientFile.get_or_none(
            birth_name=plain_upper(query.birth_name),
            first_name=plain_upper(query.first_names[0]) if query.first_names else "",
            sex=query.sex,
        )
        if found is None:
            raise failure_for(
                404,
                {
                    "errors": [
                        {
                            "code": "37003",
                            "detail": "Le dossier allocataire n'a pas été trouvé auprès de "
                            "la CNAF ni de la MSA.",
                            "meta": {"provider": "CNAF & MSA"},
                        }
                    ]
                },
            )
        if found.status != 200:
            raise failure_for(found.status, None)
        return QuotientAnswer(found.provider, found.value, found.year, found.month)


FAKE_API_PARTICULIER = FakeApiParticulier()


def quotient_client() -> QuotientClient:
    """API Particulier when its URL is set, else the local fake."""
    settings = get_settings()
    if settings.api_particulier_url:
        return ApiParticulier(
            settings.api_particulier_url,
            settings.api_particulier_token,
            settings.api_particulier_recipient,
        )
    return FAKE_API_PARTICULIER
