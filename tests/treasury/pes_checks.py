"""The structural checks of a PES V2 ORMC file, as /work/shared/TREASURY.md §4 lists them:
well-formed ISO-8859-1, root and namespace, child order, every leaf a non-empty ``V``,
lengths and patterns, value sets, sums, identifiers, debtors and debits, attachments.

``pes_problems`` returns what a file breaks, in words; the tests assert it returns nothing
for every file the export writes, and that it does catch broken files.
"""

import base64
import gzip
import re
from collections.abc import Callable
from decimal import Decimal
from xml.etree.ElementTree import Element

from defusedxml.ElementTree import fromstring

NAMESPACE = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"

# Children in schema order (a name may repeat where the sheet says + or *).
ORDER: dict[str, list[str]] = {
    "PES_Aller": ["Enveloppe", "EnTetePES", "PES_RecetteAller", "PES_PJ"],
    "Enveloppe": ["Parametres", "Emetteur"],
    "Parametres": ["Version", "TypFic", "NomFic"],
    "Emetteur": ["Sigle", "Adresse"],
    "EnTetePES": [
        "DteStr", "IdPost", "LibellePoste", "IdColl", "FinJur", "CodCol", "CodBud",
        "LibelleColBud",
    ],
    "PES_RecetteAller": ["EnTeteRecette", "Bordereau"],
    "EnTeteRecette": ["IdVer", "InfoDematerialisee"],
    "Bordereau": ["BlocBordereau", "Piece"],
    "BlocBordereau": [
        "Exer", "IdBord", "DteBordEm", "TypBord", "NbrPce", "MtBordHt", "MtBordTVA", "DteAsp",
        "Objet",
    ],
    "Piece": ["BlocPiece", "LigneDePiece"],
    "BlocPiece": [
        "IdPce", "TypPce", "NatPce", "DteAsp", "Edition", "EnvRetour", "ObjPce", "NumDette",
        "Per", "Cle1", "Cle2", "PJRef", "NumeroFacture",
    ],
    "PJRef": ["Support", "IdUnique", "NomPJ", "TypePJ"],
    "LigneDePiece": ["BlocLignePiece", "Tiers", "Recouvrement"],
    "BlocLignePiece": ["InfoLignePiece", "InfoPrelevementSEPA"],
    "InfoLignePiece": [
        "IdLigne", "ObjLignePce", "CodProdLoc", "Nature", "Majo", "TvaIntraCom", "MtHT",
        "MtTVA", "PJRef",
    ],
    "InfoPrelevementSEPA": [
        "NatPrel", "PerPrel", "DtePrel", "MtPrel", "SequencePres", "DateSignMandat",
        "RefUniMdt", "LibPrel",
    ],
    "Tiers": ["InfoTiers", "Adresse", "CpteBancaire"],
    "InfoTiers": [
        "IdTiers", "NatIdTiers", "DteNaissance", "RefTiers", "CatTiers", "NatJur", "TypTiers",
        "Civilite", "Nom", "Prenom",
    ],
    "Adresse": ["TypAdr", "Adr1", "Adr2", "Adr3", "CP", "Ville", "CodRes", "CodPays"],
    "CpteBancaire": ["BIC", "IBAN", "LibBanc", "TitCpte"],
    "PES_PJ": ["EnTetePES_PJ", "PJ"],
    "EnTetePES_PJ": ["IdVer"],
    "PJ": ["Contenu", "IdUnique", "NomPJ", "TypePJ", "Description", "RefCompta"],
    "Contenu": ["Fichier"],
    "RefCompta": ["Domaine", "Exercice", "TypeObjet", "Identifiant"],
}  # fmt: skip
REQUIRED: dict[str, list[str]] = {
    "PES_Aller": ["Enveloppe", "EnTetePES", "PES_RecetteAller"],
    "Enveloppe": ["Parametres", "Emetteur"],
    "Parametres": ["Version", "TypFic", "NomFic"],
    "Emetteur": ["Sigle", "Adresse"],
    "EnTetePES": ["DteStr", "IdPost", "IdColl", "CodCol", "CodBud"],
    "PES_RecetteAller": ["EnTeteRecette", "Bordereau"],
    "EnTeteRecette": ["IdVer"],
    "Bordereau": ["BlocBordereau", "Piece"],
    "BlocBordereau": ["Exer", "IdBord", "DteBordEm", "TypBord", "NbrPce", "MtBordHt"],
    "Piece": ["BlocPiece", "LigneDePiece"],
    "BlocPiece": ["IdPce", "TypPce", "NatPce"],
    "PJRef": ["Support", "IdUnique"],
    "LigneDePiece": ["BlocLignePiece"],
    "BlocLignePiece": ["InfoLignePiece"],
    "InfoLignePiece": ["IdLigne", "CodProdLoc", "Nature", "Majo", "TvaIntraCom", "MtHT"],
    "InfoPrelevementSEPA": [
        "NatPrel", "PerPrel", "DtePrel", "MtPrel", "SequencePres", "DateSignMandat",
        "RefUniMdt",
    ],
    "Tiers": ["InfoTiers", "Adresse"],
    "InfoTiers": ["CatTiers", "NatJur", "TypTiers", "Nom"],
    "Adresse": ["TypAdr", "Adr2", "CP", "Ville", "CodRes"],
    "CpteBancaire": ["IBAN", "TitCpte"],
    "PES_PJ": ["EnTetePES_PJ"],
    "EnTetePES_PJ": ["IdVer"],
    "PJ": ["Contenu", "IdUnique", "NomPJ"],
    "Contenu": ["Fichier"],
    "RefCompta": ["Domaine", "Exercice", "TypeObjet", "Identifiant"],
}  # fmt: skip

DATE = r"\d{4}-\d{2}-\d{2}"
AMOUNT = r"\d{1,12}\.\d{2}"
SEPA_TEXT = r"[A-Za-z0-9/\-?:().,'+ ]"


def _limit(n: int) -> str:
    return rf"(?s).{{1,{n}}}"


# Leaf value rules by element (by parent/element where a name means two things).
PATTERNS: dict[str, str] = {
    "Version": "2",
    "TypFic": "PESORMC",
    "NomFic": _limit(100),
    "Emetteur/Sigle": _limit(32),
    "Emetteur/Adresse": _limit(38),
    "DteStr": DATE,
    "IdPost": r"\d{6,7}|02[AB]\d{3,4}",
    "IdColl": r"\d{14}",
    "CodCol": r"[A-Z0-9]{3}",
    "CodBud": r"[A-Z0-9]{2}",
    "EnTeteRecette/IdVer": "2",
    "InfoDematerialisee": "0",
    "Exer": r"\d{4}",
    "IdBord": r"\d{1,7}",
    "DteBordEm": DATE,
    "TypBord": "06",
    "NbrPce": r"[1-9]\d*",
    "MtBordHt": AMOUNT,
    "MtBordTVA": AMOUNT,
    "DteAsp": DATE,
    "Objet": _limit(160),
    "IdPce": r"[1-9]\d{0,7}",
    "TypPce": "15",
    "NatPce": "01",
    "Edition": "03|04|06|07|08",
    "EnvRetour": "0|1",
    "ObjPce": _limit(160),
    "NumDette": r"\d{1,15}",
    "Per": r"\d",
    "Cle1": r"\d",
    "Cle2": r"[A-Z]",
    "Support": "01",
    "IdUnique": _limit(50),
    "NomPJ": r"(?s).+\.[A-Za-z0-9]{1,4}",
    "TypePJ": r"\d{3}",
    "NumeroFacture": r"[A-Za-z0-9 \-+_/]{1,20}",
    "IdLigne": r"[1-9]\d{0,5}",
    "ObjLignePce": _limit(160),
    "CodProdLoc": r"[A-Za-z0-9]{1,4}",
    "Nature": r"\d{1,12}",
    "Majo": "0",
    "TvaIntraCom": "0",
    "MtHT": AMOUNT,
    "MtTVA": AMOUNT,
    "NatPrel": "01",
    "PerPrel": "0[1-7]",
    "DtePrel": DATE,
    "MtPrel": AMOUNT,
    "SequencePres": "0[1-4]",
    "DateSignMandat": DATE,
    "RefUniMdt": SEPA_TEXT + "{1,35}",
    "LibPrel": SEPA_TEXT + "{1,140}",
    "RefTiers": _limit(30),
    "CatTiers": "01",
    "NatJur": "01",
    "TypTiers": "01|03",
    "Civilite": "M|MME",
    "Nom": _limit(38),
    "Prenom": _limit(38),
    "TypAdr": "1",
    "Adr1": _limit(38),
    "Adr2": _limit(38),
    "Adr3": _limit(38),
    "CP": r"\d{5}",
    "Ville": _limit(38),
    "CodRes": "0",
    "BIC": r"[A-Z0-9]{8}([A-Z0-9]{3})?",
    "IBAN": r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}",
    "TitCpte": _limit(32),
    "EnTetePES_PJ/IdVer": "1",
    "Description": _limit(250),
    "Domaine": "02",
    "Exercice": r"\d{4}",
    "TypeObjet": "06",
    "Identifiant": r"\d{1,7}",
}


def iban_is_valid(iban: str) -> bool:
    moved = iban[4:] + iban[:4]
    digits = "".join(str(int(c, 36)) for c in moved)
    return int(digits) % 97 == 1


def cents(text: str) -> int:
    return int(Decimal(text) * 100)


def value(parent: Element, path: str) -> str:
    found = parent.find(path)
    assert found is not None, path
    return found.attrib["V"]


def pes_problems(content: bytes) -> list[str]:
    problems: list[str] = []
    say: Callable[[str], None] = problems.append
    declaration = re.match(rb"<\?xml[^>]*encoding=['\"]([^'\"]+)['\"]", content)
    if declaration is None or declaration.group(1).upper() != b"ISO-8859-1":
        say("the XML declaration does not say ISO-8859-1")
    try:
        root = fromstring(content)
    except Exception as error:  # noqa: BLE001 - any parse failure is the answer
        return [f"not well-formed: {error}"]
    if root.tag != f"{{{NAMESPACE}}}PES_Aller":
        say(f"root is {root.tag}")

    def walk(element: Element, parent_name: str) -> None:
        name = element.tag if element is not root else "PES_Aller"
        if "}" in name:
            say(f"{name}: only the root is namespaced")
            name = name.rsplit("}", 1)[1]
        children = list(element)
        # Emetteur's Adresse is a value; a debtor's Adresse holds elements.
        container = name in ORDER and not (name == "Adresse" and parent_name == "Emetteur")
        if container and children:
            order = ORDER[name]
            positions = []
            for child in children:
                if child.tag not in order:
                    say(f"{name}: unexpected child {child.tag}")
                else:
                    positions.append(order.index(child.tag))
            if positions != sorted(positions):
                say(f"{name}: children out of order {[c.tag for c in children]}")
        for required in REQUIRED.get(name, []) if container else []:
            if element.find(required) is None:
                say(f"{name}: {required} missing")
        if name == "Fichier":
            if not element.attrib.get("MIMEType") or not (element.text or "").strip():
                say("Fichier without MIMEType or content")
            return
        if not container:
            if (element.text or "").strip():
                say(f"{name}: text content instead of V")
            v = element.attrib.get("V")
            if not v:
                say(f"{name}: empty or missing V")
                return
            pattern = PATTERNS.get(f"{parent_name}/{name}") or PATTERNS.get(name)
            if pattern is None:
                say(f"{name}: no rule known")
            elif not re.fullmatch(pattern, v):
                say(f"{parent_name}/{name}: {v!r} does not match {pattern}")
        for child in children:
            walk(child, name)

    walk(root, "")

    block = root.find("PES_RecetteAller/Bordereau/BlocBordereau")
    if block is None:
        return problems
    pieces = root.findall("PES_RecetteAller/Bordereau/Piece")
    if int(value(block, "NbrPce")) != len(pieces):
        say("NbrPce is not the number of Piece")
    if block.find("MtBordTVA") is not None and cents(value(block, "MtBordTVA")) == 0:
        say("MtBordTVA 0")
    line_total = 0
    piece_numbers: list[str] = []
    referenced: set[str] = set()
    for piece in pieces:
        bloc = piece.find("BlocPiece")
        assert bloc is not None
        piece_numbers.append(value(bloc, "IdPce"))
        if (value(bloc, "TypPce"), value(bloc, "NatPce"), value(block, "TypBord")) != (
            "15",
            "01",
            "06",
        ):
            say("TypBord/TypPce/NatPce is not 06/15/01")
        references = bloc.findall("PJRef")
        for reference in references:
            referenced.add(value(reference, "IdUnique"))
        edition = bloc.find("Edition")
        if edition is not None and edition.attrib["V"] == "06":
            if not any(
                r.find("TypePJ") is not None and value(r, "TypePJ") == "010" for r in references
            ):
                say("Edition 06 without a PJ of type 010")
        line_ids = []
        for line in piece.findall("LigneDePiece"):
            info = line.find("BlocLignePiece/InfoLignePiece")
            assert info is not None
            line_ids.append(value(info, "IdLigne"))
            amount = cents(value(info, "MtHT"))
            if amount <= 0:
                say("MtHT not > 0")
            line_total += amount
            sepa = line.find("BlocLignePiece/InfoPrelevementSEPA")
            tiers = line.findall("Tiers")
            accounts = [t.find("CpteBancaire") for t in tiers]
            if sepa is not None:
                if cents(value(sepa, "MtPrel")) != amount:
                    say("MtPrel is not MtHT")
                if not any(a is not None for a in accounts):
                    say("debit without CpteBancaire")
            elif any(a is not None for a in accounts):
                say("CpteBancaire without debit")
            for account in accounts:
                if account is not None and not iban_is_valid(value(account, "IBAN")):
                    say("IBAN key wrong")
            if not tiers:
                say("line without Tiers")
            for t in tiers:
                info_tiers = t.find("InfoTiers")
                assert info_tiers is not None
                if (
                    info_tiers.find("CatTiers") is not None
                    and value(info_tiers, "CatTiers") == "01"
                ):
                    for needed in ("Civilite", "Prenom"):
                        if info_tiers.find(needed) is None:
                            say(f"person without {needed}")
                if (info_tiers.find("IdTiers") is None) != (info_tiers.find("NatIdTiers") is None):
                    say("IdTiers without NatIdTiers or the reverse")
        if len(set(line_ids)) != len(line_ids):
            say("IdLigne repeated in a piece")
    if len(set(piece_numbers)) != len(piece_numbers):
        say("IdPce repeated")
    if cents(value(block, "MtBordHt")) != line_total or line_total <= 0:
        say(f"MtBordHt {value(block, 'MtBordHt')} is not the sum of the lines {line_total}")
    attached: set[str] = set()
    for pj in root.findall("PES_PJ/PJ"):
        unique = value(pj, "IdUnique")
        if unique in attached:
            say("PJ IdUnique repeated")
        attached.add(unique)
        fichier = pj.find("Contenu/Fichier")
        assert fichier is not None
        try:
            gzip.decompress(base64.b64decode(fichier.text or ""))
        except (OSError, ValueError):
            say(f"PJ {unique} does not gunzip")
        for reference in pj.findall("RefCompta"):
            if value(reference, "Identifiant") != value(block, "IdBord"):
                say("RefCompta Identifiant is not IdBord")
            if value(reference, "Exercice") != value(block, "Exer"):
                say("RefCompta Exercice is not Exer")
    if referenced - attached:
        say(f"PJRef without PJ: {sorted(referenced - attached)}")
    return problems
