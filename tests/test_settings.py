"""Settings are documented: every FAMILLE_ variable has its row in the README table."""

from pathlib import Path

from settings import Settings

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_every_setting_is_in_the_readme() -> None:
    undocumented = [
        name for name in Settings.model_fields if f"| `FAMILLE_{name.upper()}` |" not in README
    ]
    assert undocumented == []


def test_readme_documents_no_setting_that_does_not_exist() -> None:
    documented = {
        line.split("`")[1].removeprefix("FAMILLE_").lower()
        for line in README.splitlines()
        if line.startswith("| `FAMILLE_")
    }
    assert documented == set(Settings.model_fields)
