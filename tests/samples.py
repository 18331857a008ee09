"""Small genuine files of each accepted format, and a few impostors, built in memory."""

import io
import struct
import zipfile


def pdf(size: int = 2000) -> bytes:
    head = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
    tail = b"\n%%EOF\n"
    return head + b"%" + b"x" * (size - len(head) - len(tail) - 1) + tail


def png() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 60


def jpeg() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 60 + b"\xff\xd9"


def bmp() -> bytes:
    pixels = b"\xff\x00\x00\x00"  # one blue pixel, padded to 4 bytes
    info = struct.pack("<IiiHHIIiiII", 40, 1, 1, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    size = 14 + len(info) + len(pixels)
    return b"BM" + struct.pack("<IHHI", size, 0, 0, 14 + len(info)) + info + pixels


def odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED
        )
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def doc() -> bytes:
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    directory = "Root Entry".encode("utf-16-le").ljust(128, b"\x00")
    directory += "WordDocument".encode("utf-16-le").ljust(128, b"\x00")
    return header + directory


def executable() -> bytes:
    """A Windows program: what a renamed 'certificat.pdf' may really be."""
    return b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 52 + b"PE\x00\x00" + b"\x00" * 200


def spreadsheet() -> bytes:
    """A zip that is neither ODF text nor Word: an .xlsx."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


# Secrets the suite types in (tests/factories.py, sepa_factories.py, ops_factories.py and
# the tests' own forms): none may ever reach a log (tests/test_log_secrets.py scans the
# whole session's log for them, and for every session token sent).
PASSWORDS = ("motdepasse1", "soleil2026", "Soleil2026", "nouveau2026", "intrus2026")
IBANS = ("FR76 3000 6000 0112 3456 7890 189", "FR14 2004 1010 0505 0001 3M02 606")
HEALTH_NOTES = (
    "Stylo d'adrénaline dans le cartable",
    "Panier-repas fourni par la famille",
    "Gluten, lait",
    "Asthme : Ventoline",
    "Allergie aux arachides",
    "Trousse d'urgence",
)


def known_secrets() -> set[str]:
    """Each secret as it could be written: IBANs with and without their spaces."""
    found = {*PASSWORDS, *HEALTH_NOTES}
    for iban in IBANS:
        found |= {iban, iban.replace(" ", "")}
    return found
