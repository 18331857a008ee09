"""The PES file builder on one core: a month's rôle of N invoices (two product codes each,
a third of them debited under a mandate), without and with attached PDFs, built, encoded
in ISO-8859-1 and read back by the structural checks' parser. In process, no database: the
export's SQL is a handful of set-based statements (see resolvers/treasury/pes_export.py),
so the file itself is what grows with the town.

    python -m bench.pes [--invoices 10000] [--pdfs 1000] [--pdf-kb 6]
"""

import argparse
import os
import time
from datetime import date

from defusedxml.ElementTree import fromstring

from resolvers.treasury.pes_xml import (
    PesAttachment,
    PesDebit,
    PesDebtor,
    PesFile,
    PesLine,
    PesPiece,
    build_pes,
)


def role(invoices: int, pdf: bytes | None) -> PesFile:
    pieces = []
    for n in range(1, invoices + 1):
        number = f"2611{n:06d}"
        debit = (
            PesDebit(
                sequence="RCUR",
                collection_date=date(2026, 11, 30),
                mandate_reference=f"FAM1-{n}-1",
                signed_on=date(2026, 9, 1),
                label=f"Facture {number} Octobre 2026",
                iban="FR1420041010050500013M02606",
                bic="PSSTFRPP",
                holder=f"Martine Dupont-Lefèvre {n}",
            )
            if n % 3 == 0
            else None
        )
        pieces.append(
            PesPiece(
                number=n,
                subject=f"Facture {number} – Octobre 2026 F-{n:05d}",
                debt_number=number,
                invoice_number=number,
                debtor=PesDebtor(
                    reference=f"F-{n:05d}",
                    civility="MME",
                    last_name="Dupont-Lefèvre",
                    first_name="Martine",
                    street=f"{n} avenue du Maréchal de Lattre de Tassigny",
                    complement="Résidence Les Érables",
                    postal_code="81100",
                    city="Castres",
                ),
                lines=[
                    PesLine("REST", "588", "Restauration scolaire", 4250 + n % 100),
                    PesLine("GARD", "588", "Garderie", 1200),
                ],
                debit=debit,
                attachment=PesAttachment(f"FAM1-{number}", f"facture-{number}.pdf", "Facture", pdf)
                if pdf is not None
                else None,
            )
        )
    return PesFile(
        file_name="PES_PERI_202610_2026_0000001.xml",
        sender="FAMILLE",
        sender_version="bench",
        created_on=date(2026, 11, 8),
        accounting_post="081004",
        siret="21810065400019",
        collectivity_code="123",
        budget_code="01",
        exercise=2026,
        bordereau_number=1,
        issued_on=date(2026, 11, 8),
        subject="Régie périscolaire Octobre 2026",
        pieces=pieces,
    )


def measure(label: str, file: PesFile) -> None:
    started = time.perf_counter()
    content = build_pes(file)
    built = time.perf_counter() - started
    started = time.perf_counter()
    fromstring(content)
    parsed = time.perf_counter() - started
    count = len(file.pieces)
    print(
        f"{label}: {count} titres, {len(content) / 1e6:.1f} MB, built in {built:.2f} s "
        f"({count / built:,.0f} titres/s), parsed back in {parsed:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--pdfs", type=int, default=1_000)
    parser.add_argument("--pdf-kb", type=int, default=6, help="size of each (incompressible) PDF")
    args = parser.parse_args()
    measure("without PDFs", role(args.invoices, None))
    # Random bytes: the worst case for gzip (a real invoice PDF compresses well).
    measure(f"with {args.pdf_kb} KB PDFs", role(args.pdfs, os.urandom(args.pdf_kb * 1024)))


if __name__ == "__main__":
    main()
