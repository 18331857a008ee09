"""What a file really is, from its bytes: the name's extension proves nothing.

The town accepts seven formats (pdf, png, jpg, bmp, odt, docx, doc). General-purpose
detectors are too lenient for a gate: ``filetype`` takes any file starting with ``BM`` for a
bitmap and any OLE2 container for a Word file. The checks here look at the structure each
format must have, with the standard library only (``zipfile`` for ODF and OOXML).
"""

import io
import struct
import zipfile
from dataclasses import dataclass

ACCEPTED_LABEL = "PDF, PNG, JPG, BMP, ODT, DOCX ou DOC"


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str


PDF = FileType("application/pdf", "pdf")
PNG = FileType("image/png", "png")
JPEG = FileType("image/jpeg", "jpg")
BMP = FileType("image/bmp", "bmp")
ODT = FileType("application/vnd.oasis.opendocument.text", "odt")
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx")
DOC = FileType("application/msword", "doc")

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Header sizes of the BMP info-header versions (core, v1, v2, v3, v4, v5).
_BMP_DIB_SIZES = {12, 40, 52, 56, 108, 124}
_WORD_STREAM = "WordDocument".encode("utf-16-le")


def sniff(data: bytes) -> FileType | None:
    """The accepted type ``data`` is, or None (executables, scripts, other formats…)."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"BM") and _is_bmp(data):
        return BMP
    if data.startswith(b"PK\x03\x04"):
        return _zipped_document(data)
    if data.startswith(_OLE2) and _WORD_STREAM in data:
        return DOC
    return None


def _is_bmp(data: bytes) -> bool:
    """File header's size matches the file and the info header has a known size."""
    if len(data) < 26:
        return False
    declared_size, _, _, pixel_offset, dib_size = struct.unpack_from("<IHHII", data, 2)
    return (
        declared_size in (0, len(data)) and dib_size in _BMP_DIB_SIZES and pixel_offset < len(data)
    )


def _zipped_document(data: bytes) -> FileType | None:
    """ODF text declares itself in its ``mimetype`` member; OOXML Word has word/document.xml."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if (
                "mimetype" in names
                and archive.getinfo("mimetype").file_size < 100  # never inflate a bomb
                and archive.read("mimetype").strip() == ODT.content_type.encode()
            ):
                return ODT
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return DOCX
    except (zipfile.BadZipFile, KeyError, RuntimeError, ValueError):
        return None
    return None
