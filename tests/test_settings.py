"""Settings are documented: every FAMILLE_ variable has its row in the table of
docs/settings.md, and the table names no variable that does not exist."""

from pathlib import Path

from settings import Settings

SETTINGS_DOC = (Path(__file__).parent.parent / "docs" / "settings.md").read_text()


def test_every_setting_is_in_docs_settings() -> None:
    undocumented = [
        name
        for name in Settings.model_fields
        if f"| `FAMILLE_{name.upper()}` |" not in SETTINGS_DOC
    ]
    assert undocumented == []


def test_docs_settings_documents_no_setting_that_does_not_exist() -> None:
    documented = {
        line.split("`")[1].removeprefix("FAMILLE_").lower()
        for line in SETTINGS_DOC.splitlines()
        if line.startswith("| `FAMILLE_")
    }
    assert documented == set(Settings.model_fields)
