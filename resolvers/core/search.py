"""Accent- and case-insensitive matching of names, the same on PostgreSQL and SQLite.

Neither database folds accents by itself (PostgreSQL's ``unaccent`` is an extension a town's
server may lack; SQLite's ``lower`` knows ASCII only). On PostgreSQL a column is folded by
``translate`` (one letter for one, both cases) and ``lower``; on SQLite by ``famille_fold``,
this module's ``fold`` registered on the connection (a chain of ``replace`` calls, one per
letter, overflows SQLite's parser stack). The searched text is folded by the same ``fold``:
« Hélène », « HELENE » and « helene » meet; hyphens and apostrophes become spaces, so
« Jean-Pierre » is found as « jean pierre ».
"""

import unicodedata

from resolvers.core.sql import connection, is_postgres

# Letters folded one for one (both cases), then the ligatures, which become two letters.
_FROM = "àáâãäåçèéêëìíîïñòóôõöùúûüýÿÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝŸ-'’"
_TO = "aaaaaaceeeeiiiinooooouuuuyyaaaaaaceeeeiiiinooooouuuuyy   "
_LIGATURES = {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae"}
_TABLE = str.maketrans(_FROM, _TO)


def fold(text: str | None) -> str:
    """« Hélène-Œdipe » → « helene oedipe »: what a folded column holds, and what is searched."""
    if text is None:
        return ""
    for ligature, letters in _LIGATURES.items():
        text = text.replace(ligature, letters)
    text = unicodedata.normalize("NFKD", text.translate(_TABLE))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def fold_sql(expression: str, *, postgres: bool) -> str:
    """The SQL of ``expression`` folded as ``fold`` does."""
    if not postgres:
        return f"famille_fold({expression})"
    folded = expression
    for ligature, letters in _LIGATURES.items():
        folded = f"replace({folded}, '{ligature}', '{letters}')"
    quoted_from = _FROM.replace("'", "''")
    return f"lower(translate({folded}, '{quoted_from}', '{_TO}'))"


async def enable_fold() -> None:
    """Register ``famille_fold`` on the SQLite connection (PostgreSQL needs nothing). Cheap,
    so called before each search: the connection may have been opened again since."""
    if is_postgres():
        return
    client = connection()
    if client._connection is None:  # opened on first use
        await client.execute_query("SELECT 1")
    # The aiosqlite connection: Tortoise exposes no hook to register a function.
    await client._connection.create_function("famille_fold", 1, fold, deterministic=True)


def contains_pattern(text: str) -> str:
    """A ``LIKE … ESCAPE '\\'`` pattern finding the folded ``text`` anywhere."""
    folded = " ".join(fold(text).split())
    escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
