"""The PES V2 ORMC file (PES Aller, recette) built from plain data: one bordereau, its
pièces, their lines, debtors, debits and attached PDFs.

Everything here follows /work/shared/TREASURY.md §1: ISO-8859-1; every value in the
attribute ``V`` of an empty element; only the root namespaced; children in the schema's
order. The inputs were checked by ``pes_export`` (identifiers, codes, postal codes: refused
there in French); free text is upper-cased, stripped of accents and of characters Hélios
refuses, then cut to the element's length (``pes_text``). ElementTree does the escaping.
"""

import base64
import gzip
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from xml.etree.ElementTree import Element, SubElement, register_namespace, tostring

NAMESPACE = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"
register_namespace("n", NAMESPACE)

# Fixed values of an ORMC recette (TREASURY.md §1).
FILE_TYPE = "PESORMC"
BORDEREAU_TYPE = "06"
PIECE_TYPE = "15"
PIECE_NATURE = "01"
PERSON = "01"  # CatTiers: personne physique
PRIVATE_INDIVIDUAL = "01"  # NatJur: particulier
MAIN_DEBTOR = "01"  # TypTiers
# Direct debit: the Trésor presents the debits (NatPrel 01), one-off debit per titre (07).
TREASURY_PRESENTS = "01"
SINGLE_DEBIT = "07"
SEQUENCES = {"FRST": "02", "RCUR": "03"}
# ASAP: the DGFiP's print centre prints and mails the attached PDF (Edition 06, PJ 010).
PRINT_CENTRE_EDITION = "06"
INVOICE_PDF_TYPE = "010"

# Lengths of the elements this file fills with free text.
LIMITS = {
    "NomFic": 100,
    "Sigle": 32,
    "Adresse": 38,
    "Objet": 160,
    "ObjPce": 160,
    "ObjLignePce": 160,
    "RefTiers": 30,
    "Nom": 38,
    "Prenom": 38,
    "Adr": 38,
    "Ville": 38,
    "TitCpte": 32,
    "LibPrel": 140,
    "NumeroFacture": 20,
    "Description": 250,
    "IdUnique": 50,
}
_LIGATURES = str.maketrans({"Œ": "OE", "œ": "OE", "Æ": "AE", "æ": "AE", "ß": "SS"})
# Letters, digits, space and the SEPA punctuation: what every text element accepts.
_OUTSIDE = re.compile(r"[^A-Z0-9 /\-?:().,'+]")


def pes_text(value: str, limit: int) -> str:
    """Upper case, no accents, only characters Hélios and the SEPA charset accept, cut."""
    decomposed = unicodedata.normalize("NFKD", value.translate(_LIGATURES))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).upper()
    cleaned = " ".join(_OUTSIDE.sub(" ", plain).split())
    return cleaned[:limit].rstrip()


def pes_amount(cents: int) -> str:
    """Euros with two decimals and a point (d{1,12}.dd)."""
    return f"{cents // 100}.{cents % 100:02d}"


@dataclass(frozen=True)
class PesDebtor:
    """The invoice's payer as Hélios knows them: a private person with a French address."""

    reference: str
    civility: str  # "M" or "MME"
    last_name: str
    first_name: str
    street: str
    complement: str
    postal_code: str
    city: str


@dataclass(frozen=True)
class PesDebit:
    """The SEPA mandate the Trésor debits a pièce under."""

    sequence: str  # FRST or RCUR
    collection_date: date
    mandate_reference: str
    signed_on: date
    label: str
    iban: str
    bic: str
    holder: str


@dataclass(frozen=True)
class PesLine:
    """What a pièce bills under one product code."""

    product_code: str
    nature: str
    label: str
    amount_cents: int


@dataclass(frozen=True)
class PesAttachment:
    """The invoice PDF sent for the print centre."""

    unique_id: str
    file_name: str
    description: str
    pdf: bytes


@dataclass(frozen=True)
class PesPiece:
    """One titre: an invoice, its debtor, its lines, its debit and PDF if any."""

    number: int
    subject: str
    debt_number: str
    invoice_number: str
    debtor: PesDebtor
    lines: Sequence[PesLine]
    debit: PesDebit | None = None
    attachment: PesAttachment | None = None

    @property
    def amount_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)


@dataclass(frozen=True)
class PesFile:
    """The header data of the file and its one bordereau."""

    file_name: str
    sender: str
    sender_version: str
    created_on: date
    accounting_post: str
    siret: str
    collectivity_code: str
    budget_code: str
    exercise: int
    bordereau_number: int
    issued_on: date
    subject: str
    pieces: Sequence[PesPiece]

    @property
    def total_cents(self) -> int:
        return sum(piece.amount_cents for piece in self.pieces)


def _value(parent: Element, tag: str, value: str) -> Element:
    return SubElement(parent, tag, V=value)


def _text(parent: Element, tag: str, value: str, limit_key: str | None = None) -> None:
    """An optional free-text element, left out when nothing is left after cleaning."""
    text = pes_text(value, LIMITS[limit_key or tag])
    if text:
        _value(parent, tag, text)


def _debtor(line: Element, debtor: PesDebtor, debit: PesDebit | None) -> None:
    tiers = SubElement(line, "Tiers")
    info = SubElement(tiers, "InfoTiers")
    _text(info, "RefTiers", debtor.reference)
    _value(info, "CatTiers", PERSON)
    _value(info, "NatJur", PRIVATE_INDIVIDUAL)
    _value(info, "TypTiers", MAIN_DEBTOR)
    _value(info, "Civilite", debtor.civility)
    _value(info, "Nom", pes_text(debtor.last_name, LIMITS["Nom"]))
    _value(info, "Prenom", pes_text(debtor.first_name, LIMITS["Prenom"]))
    address = SubElement(tiers, "Adresse")
    _value(address, "TypAdr", "1")
    _value(address, "Adr2", pes_text(debtor.street, LIMITS["Adr"]))
    _text(address, "Adr3", debtor.complement, "Adr")
    _value(address, "CP", debtor.postal_code)
    _value(address, "Ville", pes_text(debtor.city, LIMITS["Ville"]))
    _value(address, "CodRes", "0")
    if debit is not None:
        account = SubElement(tiers, "CpteBancaire")
        _value(account, "BIC", debit.bic.upper())
        _value(account, "IBAN", debit.iban.upper())
        _value(account, "TitCpte", pes_text(debit.holder, LIMITS["TitCpte"]))


def _line(piece_element: Element, piece: PesPiece, number: int, line: PesLine) -> None:
    element = SubElement(piece_element, "LigneDePiece")
    block = SubElement(element, "BlocLignePiece")
    info = SubElement(block, "InfoLignePiece")
    _value(info, "IdLigne", str(number))
    _text(info, "ObjLignePce", line.label)
    _value(info, "CodProdLoc", line.product_code)
    _value(info, "Nature", line.nature)
    _value(info, "Majo", "0")
    _value(info, "TvaIntraCom", "0")
    _value(info, "MtHT", pes_amount(line.amount_cents))
    debit = piece.debit
    if debit is not None:
        sepa = SubElement(block, "InfoPrelevementSEPA")
        _value(sepa, "NatPrel", TREASURY_PRESENTS)
        _value(sepa, "PerPrel", SINGLE_DEBIT)
        _value(sepa, "DtePrel", debit.collection_date.isoformat())
        _value(sepa, "MtPrel", pes_amount(line.amount_cents))
        _value(sepa, "SequencePres", SEQUENCES[debit.sequence])
        _value(sepa, "DateSignMandat", debit.signed_on.isoformat())
        _value(sepa, "RefUniMdt", debit.mandate_reference)
        _text(sepa, "LibPrel", debit.label)
    _debtor(element, piece.debtor, debit)


def _piece(bordereau: Element, piece: PesPiece) -> None:
    element = SubElement(bordereau, "Piece")
    block = SubElement(element, "BlocPiece")
    _value(block, "IdPce", str(piece.number))
    _value(block, "TypPce", PIECE_TYPE)
    _value(block, "NatPce", PIECE_NATURE)
    if piece.attachment is not None:
        _value(block, "Edition", PRINT_CENTRE_EDITION)
        _value(block, "EnvRetour", "0")
    _text(block, "ObjPce", piece.subject)
    if piece.debt_number:
        _value(block, "NumDette", piece.debt_number)
    if piece.attachment is not None:
        reference = SubElement(block, "PJRef")
        _value(reference, "Support", "01")
        _value(reference, "IdUnique", piece.attachment.unique_id)
        _value(reference, "NomPJ", piece.attachment.file_name)
        _value(reference, "TypePJ", INVOICE_PDF_TYPE)
    _text(block, "NumeroFacture", piece.invoice_number)
    for number, line in enumerate(piece.lines, start=1):
        _line(element, piece, number, line)


def _attachments(root: Element, file: PesFile) -> None:
    pieces = [piece for piece in file.pieces if piece.attachment is not None]
    if not pieces:
        return
    container = SubElement(root, "PES_PJ")
    _value(SubElement(container, "EnTetePES_PJ"), "IdVer", "1")
    for piece in pieces:
        attachment = piece.attachment
        assert attachment is not None
        element = SubElement(container, "PJ")
        content = SubElement(element, "Contenu")
        # The content is gzipped, then base64 (TREASURY.md, ASAP/PDF); mtime 0 keeps a
        # re-export of the same invoice byte for byte the same.
        packed = gzip.compress(attachment.pdf, mtime=0)
        SubElement(content, "Fichier", MIMEType="application/pdf").text = base64.b64encode(
            packed
        ).decode("ascii")
        _value(element, "IdUnique", attachment.unique_id)
        _value(element, "NomPJ", attachment.file_name)
        _value(element, "TypePJ", INVOICE_PDF_TYPE)
        _text(element, "Description", attachment.description)
        reference = SubElement(element, "RefCompta")
        _value(reference, "Domaine", "02")
        _value(reference, "Exercice", str(file.exercise))
        _value(reference, "TypeObjet", "06")
        _value(reference, "Identifiant", str(file.bordereau_number))


def build_pes(file: PesFile) -> bytes:
    """The PES Aller document, encoded in ISO-8859-1 with its XML declaration."""
    root = Element(f"{{{NAMESPACE}}}PES_Aller")
    envelope = SubElement(root, "Enveloppe")
    parameters = SubElement(envelope, "Parametres")
    _value(parameters, "Version", "2")
    _value(parameters, "TypFic", FILE_TYPE)
    _value(parameters, "NomFic", file.file_name[: LIMITS["NomFic"]])
    sender = SubElement(envelope, "Emetteur")
    _value(sender, "Sigle", pes_text(file.sender, LIMITS["Sigle"]))
    _value(sender, "Adresse", pes_text(f"{file.sender} {file.sender_version}", LIMITS["Adresse"]))
    header = SubElement(root, "EnTetePES")
    _value(header, "DteStr", file.created_on.isoformat())
    _value(header, "IdPost", file.accounting_post)
    _value(header, "IdColl", file.siret)
    _value(header, "CodCol", file.collectivity_code)
    _value(header, "CodBud", file.budget_code)
    income = SubElement(root, "PES_RecetteAller")
    income_header = SubElement(income, "EnTeteRecette")
    _value(income_header, "IdVer", "2")
    _value(income_header, "InfoDematerialisee", "0")
    bordereau = SubElement(income, "Bordereau")
    block = SubElement(bordereau, "BlocBordereau")
    _value(block, "Exer", str(file.exercise))
    _value(block, "IdBord", str(file.bordereau_number))
    _value(block, "DteBordEm", file.issued_on.isoformat())
    _value(block, "TypBord", BORDEREAU_TYPE)
    _value(block, "NbrPce", str(len(file.pieces)))
    _value(block, "MtBordHt", pes_amount(file.total_cents))
    _text(block, "Objet", file.subject)
    for piece in file.pieces:
        _piece(bordereau, piece)
    _attachments(root, file)
    document: bytes = tostring(root, encoding="ISO-8859-1", xml_declaration=True)
    return document
