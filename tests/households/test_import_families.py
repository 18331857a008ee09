"""Importing families from a town's previous software, as an agent sends the CSV."""

import asyncio
import csv
import io
import os
import re
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from models.accounts import AccountRole
from models.audit import AuditEntry
from models.households import AccessKey, Child, Contact, ContactKind, Diet, Guardian, Household
from models.outbox import OutboxJob
from models.tenants import Tenant
from resolvers.core.clock import FrozenClock
from resolvers.households.imports import import_into_town
from settings import get_settings
from tests.conftest import Backend, GraphQL, Mailbox
from tests.documents.test_documents import post_files
from tests.factories import make_account, make_town, token_for

ROOT = Path(__file__).parent.parent.parent
EXAMPLE = ROOT / "docs" / "import-familles-exemple.csv"
HEADER = EXAMPLE.read_text(encoding="utf-8").splitlines()[0].split(";")

IMPORT = """
mutation($file: Upload!, $dryRun: Boolean!, $sendKeys: Boolean!) {
  importFamilies(file: $file, dryRun: $dryRun, sendKeys: $sendKeys) {
    report {
      dryRun rows familiesCreated familiesUpdated familiesUnchanged familiesRefused keysMailed
      guardians { created updated } children { created updated } contacts { created updated }
      refusals { line reference message }
    }
    errors { code field message }
  }
}
"""
LINK = """
mutation($key: String!) {
  linkHousehold(accessKey: $key) { household { reference } errors { code } }
}
"""


def csv_file(
    rows: list[dict[str, str]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ";",
    header: list[str] | None = None,
) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=header or HEADER, delimiter=delimiter, lineterminator="\r\n"
    )
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def guardian(
    reference: str, last: str = "Roux", first: str = "Anne", **more: str
) -> dict[str, str]:
    return {
        "reference": reference,
        "type": "responsable",
        "civilite": "Mme",
        "nom": last,
        "prenoms": first,
        **more,
    }


def child(
    reference: str, first: str = "Zoé", born: str = "05/05/2018", **more: str
) -> dict[str, str]:
    return {
        "reference": reference,
        "type": "enfant",
        "nom": "Roux",
        "prenoms": first,
        "date_naissance": born,
        **more,
    }


async def agent(clock: FrozenClock, town: Tenant | None = None) -> tuple[Tenant, str]:
    town = town or await make_town()
    staff = await make_account(town, clock, role=AccountRole.AGENT)
    return town, await token_for(staff, clock)


async def send(
    http: httpx.AsyncClient,
    token: str,
    data: bytes,
    *,
    dry_run: bool = False,
    send_keys: bool = False,
) -> dict[str, Any]:
    response = await post_files(
        http,
        IMPORT,
        {"file": None, "dryRun": dry_run, "sendKeys": send_keys},
        {"file": ("familles.csv", data)},
        token=token,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["importFamilies"]
    return result


async def report_of(http: httpx.AsyncClient, token: str, data: bytes, **flags: bool) -> Any:
    result = await send(http, token, data, **flags)
    assert result["errors"] == [], result
    return result["report"]


async def people(town: Tenant) -> tuple[int, int, int, int]:
    return (
        await Household.filter(tenant=town).count(),
        await Guardian.filter(household__tenant=town).count(),
        await Child.filter(household__tenant=town).count(),
        await Contact.filter(household__tenant=town).count(),
    )


def messages(report: dict[str, Any]) -> dict[int, str]:
    return {refusal["line"]: refusal["message"] for refusal in report["refusals"]}


# --- the documented file -------------------------------------------------------------------


async def test_the_documented_example_creates_each_family_with_its_people(
    http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    town, token = await agent(clock)

    report = await report_of(http, token, EXAMPLE.read_bytes())

    assert (report["rows"], report["familiesCreated"], report["familiesRefused"]) == (9, 2, 0)
    assert report["guardians"] == {"created": 3, "updated": 0}
    assert report["children"] == {"created": 3, "updated": 0}
    assert report["contacts"] == {"created": 3, "updated": 0}
    assert report["refusals"] == []
    martin = await Household.get(tenant=town, reference="A-1001")
    assert (martin.name, martin.address_line, martin.postal_code, martin.city) == (
        "Famille Martin",
        "12 rue des Lilas",
        "81100",
        "Castres",
    )
    assert (martin.family_quotient, martin.family_quotient_valid_until, martin.paperless) == (
        640,
        date(2026, 12, 31),
        True,
    )
    claire = await Guardian.get(household=martin, first_names="Claire")
    assert (claire.email, claire.is_payer, claire.relationship) == (
        "claire.martin@exemple.fr",
        True,
        "Mère",
    )
    lea = await Child.get(household=martin, first_names="Léa")
    assert (lea.birth_date, lea.school, lea.school_class, lea.has_pai, lea.diet) == (
        date(2017, 3, 14),
        "École Jean Jaurès",
        "CE2",
        True,
        Diet.NO_PORK,
    )
    assert lea.health_notes == "Allergie aux arachides"
    pickup = await Contact.get(household=martin, last_name="Durand")
    assert (pickup.kind, pickup.phone) == (ContactKind.AUTHORISED_PICKUP, "06 11 22 33 44")
    nguyen = await Household.get(tenant=town, reference="A-1002")
    assert (nguyen.name, nguyen.address_complement, nguyen.paperless) == (
        "Famille Nguyen",
        "Bâtiment B",
        False,
    )
    assert await AuditEntry.filter(tenant_id=town.id, action="household.import").count() == 1


async def test_running_it_again_updates_and_never_duplicates(
    http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    town, token = await agent(clock)
    await report_of(http, token, EXAMPLE.read_bytes())
    counts = await people(town)

    again = await report_of(http, token, EXAMPLE.read_bytes())

    assert (again["familiesCreated"], again["familiesUpdated"], again["familiesUnchanged"]) == (
        0,
        0,
        2,
    )
    assert await people(town) == counts
    # The town's software moved on: a new address, Léa in CM1, a new baby, names retyped.
    changed = (
        EXAMPLE.read_text(encoding="utf-8")
        .replace("12 rue des Lilas", "4 impasse du Moulin")
        .replace(";CE2;", ";CM1;")
        .replace("A-1002;enfant;;Nguyen;Linh", "A-1002;enfant;;NGUYEN;Linh")
    )
    changed += "A-1002;enfant;;Nguyen;Anh;;;;;;01/02/2026;;;;;;;;;;;;;;;;;\r\n"

    third = await report_of(http, token, changed.encode())

    assert (third["familiesCreated"], third["familiesUpdated"], third["familiesUnchanged"]) == (
        0,
        2,
        0,
    )
    assert third["children"] == {"created": 1, "updated": 2}
    assert await people(town) == (counts[0], counts[1], counts[2] + 1, counts[3])
    martin = await Household.get(tenant=town, reference="A-1001")
    assert martin.address_line == "4 impasse du Moulin"
    assert (await Child.get(household=martin, first_names="Léa")).school_class == "CM1"
    assert await Child.filter(household__reference="A-1002", last_name="NGUYEN").count() == 1


async def test_a_dry_run_reports_and_writes_nothing(
    http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    town, token = await agent(clock)
    jobs = await OutboxJob.all().count()

    report = await report_of(http, token, EXAMPLE.read_bytes(), dry_run=True, send_keys=True)

    assert report["dryRun"] is True
    assert (report["familiesCreated"], report["keysMailed"]) == (2, 2)
    assert report["children"] == {"created": 3, "updated": 0}
    assert await people(town) == (0, 0, 0, 0)
    assert await OutboxJob.all().count() == jobs
    assert not await AuditEntry.filter(tenant_id=town.id, action="household.import").exists()


# --- encodings and separators --------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "delimiter", "bom"),
    [("cp1252", ";", b""), ("utf-8", ";", b"\xef\xbb\xbf"), ("utf-8", ",", b"")],
    ids=["windows-1252", "utf-8 with BOM", "comma"],
)
async def test_windows_1252_a_bom_and_commas_are_read_as_spreadsheets_write_them(
    http: httpx.AsyncClient, clock: FrozenClock, encoding: str, delimiter: str, bom: bytes
) -> None:
    town, token = await agent(clock)
    rows = [
        guardian("W-1", "Lefèvre", "Hélène", ville="Saint-Étienne", code_postal="42000"),
        child("W-1", "Maël", classe="CE1", sante="Asthme, ventoline"),
    ]

    report = await report_of(
        http, token, bom + csv_file(rows, encoding=encoding, delimiter=delimiter)
    )

    assert report["familiesCreated"] == 1, report
    household = await Household.get(tenant=town, reference="W-1")
    assert (household.name, household.city) == ("Famille Lefèvre", "Saint-Étienne")
    assert (await Child.get(household=household)).health_notes == "Asthme, ventoline"


async def test_bytes_neither_utf8_nor_windows_1252_refuse_the_file(
    http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    town, token = await agent(clock)
    data = csv_file([guardian("B-1")]) + b"B-2;responsable;Mme;Caf\x81;Anne" + b";" * 23 + b"\r\n"

    result = await send(http, token, data)

    assert result["report"] is None
    [error] = result["errors"]
    assert (error["code"], error["field"]) == ("INVALID", "file")
    assert "ni en UTF-8 ni en Windows-1252" in error["message"] and "ligne 3" in error["message"]
    assert await people(town) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "vide"),
        (b"reference;type;nom;pointure\r\n", "Colonne(s) inconnue(s) : pointure"),
        (b"reference;nom\r\n", "obligatoire(s) absente(s) : type"),
        (b"reference;type;nom;nom\r\n", "en double : nom"),
    ],
    ids=["empty", "unknown column", "missing column", "doubled column"],
)
async def test_an_unreadable_header_refuses_the_file(
    http: httpx.AsyncClient, clock: FrozenClock, data: bytes, expected: str
) -> None:
    _, token = await agent(clock)

    result = await send(http, token, data)

    assert result["report"] is None
    assert expected in result["errors"][0]["message"]


# --- refused rows, all or nothing per family -----------------------------------------------


async def test_each_bad_row_is_reported_by_line_and_its_family_is_left_out_whole(
    http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    town, token = await agent(clock)
    rows = [
        guardian("OK-1", "Petit", "Jean"),  # line 2
        guardian("BAD-1", "Blanc", "Lise"),  # line 3: refused with its family
        child("BAD-1", "Tom", born="31/02/2019"),  # line 4: no such day
        guardian("BAD-2", "Noir", "Eva", civilite="Docteur"),  # line 5
        child("BAD-3", regime="halal"),  # line 6 (and the family has no guardian)
        {**guardian("BAD-4"), "type": "voisin"},  # line 7
        child("BAD-5", "Léo", born="01/01/2031"),  # line 8: in the future
        guardian("BAD-6", "Gris", "Noé", email="pas-une-adresse"),  # line 9
        {**guardian("BAD-7"), "type": "contact", "telephone": "06 12"},  # line 10
        guardian("BAD-8", "Vert", "Ana", code_postal="8110"),  # line 11
        guardian("BAD-9", "Rose", "Ida", quotient="beaucoup"),  # line 12
    ]

    report = await report_of(http, token, csv_file(rows))

    assert (report["familiesCreated"], report["familiesRefused"]) == (1, 9)
    found = messages(report)
    assert sorted(found) == list(range(3, 13))
    assert "famille BAD-1 refusée (voir ligne 4)" in found[3]
    assert "« 31/02/2019 » n'est pas une date JJ/MM/AAAA" in found[4]
    assert "civilité : « Docteur » inconnu" in found[5]
    assert "régime : « halal » inconnu" in found[6]
    assert "type : « voisin » inconnu" in found[7]
    assert "dans le futur" in found[8]
    assert "« pas-une-adresse » n'est pas une adresse" in found[9]
    assert "10 chiffres" in found[10] and "type de contact" in found[10]
    assert "n'a pas 5 chiffres" in found[11]
    assert "« beaucoup » n'est pas un nombre entier" in found[12]
    assert await people(town) == (1, 1, 0, 0)


async def test_a_stored_family_with_a_bad_row_keeps_every_stored_value(
    http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    town, token = await agent(clock)
    await report_of(http, token, csv_file([guardian("K-1", ville="Albi"), child("K-1")]))

    report = await report_of(
        http,
        token,
        csv_file(
            [
                guardian("K-1", ville="Lavaur", email="anne@exemple.fr"),
                child("K-1", classe="CP"),
                child("K-1", "Jade", born="hier"),
            ]
        ),
    )

    assert report["familiesRefused"] == 1
    assert sorted(messages(report)) == [2, 3, 4]
    household = await Household.get(tenant=town, reference="K-1")
    assert household.city == "Albi"
    assert (await Guardian.get(household=household)).email == ""
    assert [c.school_class for c in await Child.filter(household=household)] == [""]


async def test_wrong_column_counts_nul_bytes_and_duplicates_are_refused_rows(
    http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    town, token = await agent(clock)
    good = csv_file([guardian("G-1"), guardian("C-1"), guardian("N-1"), guardian("D-1")])
    lines = good.decode().split("\r\n")
    lines[2] = lines[2] + ";en trop"  # C-1: one column too many
    lines[3] = lines[3].replace("Anne", "An\x00ne")  # N-1: a NUL byte
    lines.insert(5, lines[4].replace("Roux", "ROUX"))  # D-1 twice (names compared loosely)
    data = "\r\n".join(lines).encode()

    report = await report_of(http, token, data)

    found = messages(report)
    assert "29 colonnes au lieu de 28" in found[3]
    assert "caractère nul interdit" in found[4]
    assert "doublon de la ligne 5" in found[6]
    assert "famille D-1 refusée (voir ligne 6)" in found[5]
    assert (report["familiesCreated"], report["familiesRefused"]) == (1, 3)
    assert [h.reference for h in await Household.filter(tenant=town)] == ["G-1"]


async def test_a_reference_of_another_town_is_a_family_of_this_town_only(
    http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    other, other_token = await agent(clock)
    await report_of(http, other_token, csv_file([guardian("X-1", ville="Mazamet")]))
    town, token = await agent(clock)

    report = await report_of(http, token, csv_file([guardian("X-1", ville="Castres")]))

    assert report["familiesCreated"] == 1
    assert (await Household.get(tenant=other, reference="X-1")).city == "Mazamet"
    assert (await Household.get(tenant=town, reference="X-1")).city == "Castres"


async def test_a_reference_shaped_like_the_portal_s_own_must_exist(
    http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    town, token = await agent(clock)

    report = await report_of(http, token, csv_file([guardian("F000123")]))

    assert "attribuées par le portail" in messages(report)[2]
    assert await people(town) == (0, 0, 0, 0)


@pytest.fixture
def small_imports(backend: Backend) -> Iterator[None]:
    os.environ["FAMILLE_IMPORT_MAX_FILE_KB"] = "1"
    get_settings.cache_clear()
    yield
    os.environ.pop("FAMILLE_IMPORT_MAX_FILE_KB")
    get_settings.cache_clear()


async def test_a_file_over_the_import_limit_is_refused_whole(
    http: httpx.AsyncClient, clock: FrozenClock, small_imports: None
) -> None:
    town, token = await agent(clock)
    data = csv_file([guardian(f"L-{n}") for n in range(40)])
    assert len(data) > 1024

    result = await send(http, token, data)

    assert result["report"] is None
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("FILE_TOO_LARGE", "file")]
    assert await people(town) == (0, 0, 0, 0)


async def test_parents_and_strangers_cannot_import(
    http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    town = await make_town()
    parent = await make_account(town, clock)

    as_parent = await send(http, await token_for(parent, clock), EXAMPLE.read_bytes())
    response = await post_files(
        http,
        IMPORT,
        {"file": None, "dryRun": False, "sendKeys": False},
        {"file": ("f.csv", EXAMPLE.read_bytes())},
        token=None,
    )

    assert [e["code"] for e in as_parent["errors"]] == ["FORBIDDEN"]
    assert [e["code"] for e in response.json()["data"]["importFamilies"]["errors"]] == [
        "NOT_AUTHENTICATED"
    ]
    assert await people(town) == (0, 0, 0, 0)


# --- access keys ---------------------------------------------------------------------------


async def test_keys_are_mailed_once_and_link_the_parent_to_the_imported_family(
    http: httpx.AsyncClient, api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    town, token = await agent(clock)

    report = await report_of(http, token, EXAMPLE.read_bytes(), send_keys=True)
    await run_jobs()

    assert (report["familiesCreated"], report["keysMailed"]) == (2, 2)  # Paul has no e-mail
    [mail] = mailbox.to("claire.martin@exemple.fr")
    key = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", mailbox.text(mail))
    assert key is not None
    again = await report_of(http, token, EXAMPLE.read_bytes(), send_keys=True)
    assert again["keysMailed"] == 0
    assert await AccessKey.filter(guardian__household__tenant=town).count() == 2
    parent = await make_account(town, clock, email="claire.martin@exemple.fr")
    linked = await api(LINK, {"key": key.group()}, token=await token_for(parent, clock))
    assert linked["data"]["linkHousehold"]["household"] == {"reference": "A-1001"}


# --- the command ---------------------------------------------------------------------------


async def run_command(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_command_imports_with_a_progress_bar_and_prints_the_refusals(
    clock: FrozenClock, tmp_path: Path
) -> None:
    town = await make_town()
    path = tmp_path / "familles.csv"
    path.write_bytes(EXAMPLE.read_bytes() + b"A-1003;enfant;;Seul;Max;;;;;;01/01/2019" + b";" * 17)

    status, out, err = await run_command(
        "import-families", str(path), "--town", town.slug, "--dry-run"
    )
    assert status == 0, err
    assert "Simulation" in out and "2 seraient créée(s)" in out
    assert await people(town) == (0, 0, 0, 0)

    status, out, err = await run_command("import-families", str(path), "--town", town.slug)

    assert status == 0, err
    assert "Import [" in err and "3/3 foyers" in err
    assert "2 ont été créée(s)" in out and "1 refusée(s)" in out
    assert "ligne 11 : la famille n'a aucun responsable" in out
    assert (await people(town))[0] == 2
    status, _, err = await run_command("import-families", str(path), "--town", "nulle-part")
    assert status == 1 and "Commune « nulle-part » introuvable" in err


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_two_imports_of_one_file_at_once_write_each_family_once(
    backend: Backend, clock: FrozenClock
) -> None:
    town = await make_town()

    reports = await asyncio.gather(
        *(import_into_town(town, EXAMPLE.read_bytes(), actor=None, clock=clock) for _ in range(2))
    )

    assert sorted(r.families_created for r in reports) == [0, 2]
    assert sorted(r.families_unchanged for r in reports) == [0, 2]
    assert await people(town) == (2, 3, 3, 3)


# --- the quotient's source ------------------------------------------------------------------


async def test_an_imported_quotient_is_recorded_with_its_source_and_day(
    http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # given a town's file: a quotient without a source column, then one read from the CAF
    town, token = await agent(clock)
    header = [*HEADER, "quotient_source"]
    today = clock.now().date()
    await report_of(http, token, csv_file([guardian("Q-1", quotient="540")], header=header))
    first = await Household.get(tenant=town, reference="Q-1")
    # then the quotient is the town's entry, set on the import's day (as setFamilyQuotient)
    assert (first.family_quotient, first.family_quotient_source) == (540, "manual")
    assert first.family_quotient_set_on == today

    # when the same quotient comes again a week later: nothing changes, not even its day
    clock.advance(timedelta(days=7))
    again = await report_of(http, token, csv_file([guardian("Q-1", quotient="540")], header=header))
    assert again["familiesUnchanged"] == 1
    assert (await Household.get(id=first.id)).family_quotient_set_on == today

    # when the CAF's quotient replaces it: its source and the new day are recorded
    changed = await report_of(
        http,
        token,
        csv_file([guardian("Q-1", quotient="610", quotient_source="CAF")], header=header),
    )
    assert changed["familiesUpdated"] == 1
    stored = await Household.get(id=first.id)
    assert (stored.family_quotient, stored.family_quotient_source) == (610, "caf")
    assert stored.family_quotient_set_on == clock.now().date()

    # and a source without a quotient, or an unknown one, is a refused row, in French
    refused = await report_of(
        http,
        token,
        csv_file(
            [
                guardian("Q-2", quotient_source="CAF"),
                guardian("Q-3", quotient="300", quotient_source="impots"),
            ],
            header=header,
        ),
    )
    assert messages(refused)[2] == "source du quotient sans quotient."
    assert "source du quotient : « impots » inconnu" in messages(refused)[3]
