"""Content decides the type: names and extensions are never trusted."""

import pytest

from resolvers.documents.sniffing import sniff
from tests import samples


@pytest.mark.parametrize(
    ("data", "extension"),
    [
        (samples.pdf(), "pdf"),
        (samples.png(), "png"),
        (samples.jpeg(), "jpg"),
        (samples.bmp(), "bmp"),
        (samples.odt(), "odt"),
        (samples.docx(), "docx"),
        (samples.doc(), "doc"),
    ],
)
def test_each_accepted_format_is_recognised_by_its_content(data: bytes, extension: str) -> None:
    found = sniff(data)
    assert found is not None and found.extension == extension


@pytest.mark.parametrize(
    "data",
    [
        samples.executable(),
        samples.spreadsheet(),
        "BMW 320d, contrôle technique".encode(),  # text starting like a bitmap
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,  # OLE2 without a Word stream
        b"#!/bin/sh\nrm -rf /\n",
        b"PK\x03\x04 not really a zip",
        b"",
    ],
)
def test_anything_else_is_refused(data: bytes) -> None:
    assert sniff(data) is None
