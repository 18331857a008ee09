"""The family import: a town's CSV export of families sent as one file (docs/import.md)."""

from typing import Annotated

import strawberry
from strawberry.file_uploads import Upload

from gql.context import Info
from gql.errors import HouseholdError, handles_errors
from resolvers.households import imports


@strawberry.type(description="A refused row of the file, and why.")
class ImportRefusal:
    line: int = strawberry.field(description="Line in the file (the header is line 1).")
    reference: str = strawberry.field(description="Family reference of the row; empty if none.")
    message: str = strawberry.field(description="Why, in French.")


@strawberry.type(description="People of one kind created and updated.")
class ImportPeopleCounts:
    created: int = strawberry.field(description="New people.")
    updated: int = strawberry.field(description="Stored people whose details changed.")


@strawberry.type(
    description="What an import did, or would do in a dry run: families are written whole "
    "or not at all, and every row of a refused family is listed."
)
class ImportReport:
    dry_run: bool = strawberry.field(description="True: nothing was written nor mailed.")
    rows: int = strawberry.field(description="Rows read, the header and blank lines aside.")
    families_created: int = strawberry.field(description="New family files.")
    families_updated: int = strawberry.field(description="Stored families that changed.")
    families_unchanged: int = strawberry.field(
        description="Stored families already as in the file."
    )
    families_refused: int = strawberry.field(description="Families left out (see refusals).")
    guardians: ImportPeopleCounts = strawberry.field(description="Guardians.")
    children: ImportPeopleCounts = strawberry.field(description="Children.")
    contacts: ImportPeopleCounts = strawberry.field(description="Contacts.")
    keys_mailed: int = strawberry.field(
        description="Access keys mailed to guardians (sendKeys), or that would be."
    )
    refusals: list[ImportRefusal] = strawberry.field(
        description="Every refused row, by line number."
    )

    @classmethod
    def from_report(cls, report: imports.ImportReport) -> "ImportReport":
        return cls(
            dry_run=report.dry_run,
            rows=report.rows,
            families_created=report.families_created,
            families_updated=report.families_updated,
            families_unchanged=report.families_unchanged,
            families_refused=report.families_refused,
            guardians=ImportPeopleCounts(
                created=report.guardians.created, updated=report.guardians.updated
            ),
            children=ImportPeopleCounts(
                created=report.children.created, updated=report.children.updated
            ),
            contacts=ImportPeopleCounts(
                created=report.contacts.created, updated=report.contacts.updated
            ),
            keys_mailed=report.keys_mailed,
            refusals=[
                ImportRefusal(line=r.line, reference=r.reference, message=r.message)
                for r in report.refusals
            ],
        )


@strawberry.type(description="Result of `importFamilies`.")
class ImportFamiliesPayload:
    report: ImportReport | None = strawberry.field(
        default=None, description="The report; null when the file itself was refused."
    )
    errors: list[HouseholdError] = strawberry.field(
        default_factory=list,
        description="Why the whole file was refused (size, encoding, header); nothing written.",
    )


@strawberry.type
class HouseholdImportMutations:
    @strawberry.mutation(
        description="Staff: import families from the town's previous software (Arpège, JVS, "
        "Noethys…), as one CSV file of docs/import.md sent as a GraphQL multipart request "
        "(header `Apollo-Require-Preflight: true`). Idempotent by family reference: running "
        "it again updates, never duplicates; each family is written whole or refused whole; "
        "at most FAMILLE_IMPORT_MAX_FILE_KB."
    )
    @handles_errors()
    async def import_families(
        self,
        info: Info,
        file: Annotated[Upload, strawberry.argument(description="The CSV file.")],
        dry_run: Annotated[
            bool,
            strawberry.argument(description="Report what would be done, writing nothing."),
        ] = False,
        send_keys: Annotated[
            bool,
            strawberry.argument(
                description="Mail an access key to each guardian with an e-mail who is not "
                "linked yet and holds no valid key."
            ),
        ] = False,
    ) -> ImportFamiliesPayload:
        report = await imports.import_families(
            info.context.account,
            file.read,  # type: ignore[attr-defined]
            clock=info.context.clock,
            dry_run=dry_run,
            send_keys=send_keys,
        )
        return ImportFamiliesPayload(report=ImportReport.from_report(report))
