"""Where document files' bytes live: the database (default) or a shared directory.

Both work with several API servers: the database is shared by construction; the
filesystem backend expects a directory every server mounts (NFS, a cloud file share).
Nothing here decides who may read a file: resolvers/documents/documents.py does.
"""

import asyncio
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from models.documents import DocumentFile
from settings import get_settings


@dataclass(frozen=True)
class Stored:
    """What to write in the document_file row for one file."""

    backend: str
    storage_key: str
    content: bytes | None


class DatabaseStore:
    """The bytes go in the document_file row: metadata and file commit or roll back together."""

    backend = "database"

    async def put(self, data: bytes) -> Stored:
        return Stored(self.backend, "", data)

    async def discard(self, keys: list[str]) -> None:
        """Rows carry their bytes: deleting the rows deleted the files."""

    async def get(self, storage_key: str, content: bytes | None) -> bytes:
        assert content is not None, "database-backed file without content"
        return content


class FilesystemStore:
    """Files under a shared directory, written before the metadata commits.

    A crash between the write and the commit leaves a file no row names: ``sweep`` removes
    such orphans once they are older than any transaction could be. A row never names a
    missing file, because the file is fsync'ed and renamed into place before the commit.
    """

    backend = "filesystem"

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key

    def _write(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        with open(partial, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)

    async def put(self, data: bytes) -> Stored:
        key = uuid.uuid4().hex
        await asyncio.to_thread(self._write, key, data)
        return Stored(self.backend, key, None)

    async def discard(self, keys: list[str]) -> None:
        for key in keys:
            await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def get(self, storage_key: str, content: bytes | None) -> bytes:
        return await asyncio.to_thread(self._path(storage_key).read_bytes)

    async def sweep(self, older_than_seconds: float = 3600) -> int:
        """Delete files no row names, older than ``older_than_seconds``; how many."""
        if not self.root.exists():
            return 0
        cutoff = time.time() - older_than_seconds
        on_disk = {
            path.name: path
            for path in self.root.glob("??/*")
            if path.is_file() and path.stat().st_mtime < cutoff
        }
        if not on_disk:
            return 0
        rows = await DocumentFile.filter(storage_key__in=list(on_disk)).values_list(
            "storage_key", flat=True
        )
        known: set[object] = set(rows)
        orphans = [name for name in on_disk if name not in known]
        for name in orphans:
            await asyncio.to_thread(on_disk[name].unlink, missing_ok=True)
        return len(orphans)


def current_store() -> DatabaseStore | FilesystemStore:
    """The backend new files go to; existing files are read from the one their row names."""
    settings = get_settings()
    if settings.document_storage == "filesystem":
        return FilesystemStore(settings.document_storage_dir)
    return DatabaseStore()


def store_for(backend: str) -> DatabaseStore | FilesystemStore:
    """The backend a file was written to, whatever the current setting."""
    if backend == FilesystemStore.backend:
        return FilesystemStore(get_settings().document_storage_dir)
    return DatabaseStore()
