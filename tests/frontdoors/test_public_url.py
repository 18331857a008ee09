"""Links (mailed activation, pdfUrl, downloadUrl…) point to the address actually served when
FAMILLE_PUBLIC_URL is not set: `FAMILLE_PORT=8101 ./scripts/dev` mailed links to 8000."""

import argparse
from collections.abc import Iterator

import pytest

import cli
from resolvers.operations.feeds import feed_url
from settings import Settings, get_settings


@pytest.fixture
def unset_public_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name in ("FAMILLE_PUBLIC_URL", "FAMILLE_HOST", "FAMILLE_PORT"):
        # set first, so that undo also removes what cli._listen_on writes to os.environ
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def test_the_port_of_the_environment_is_in_the_links(
    unset_public_url: pytest.MonkeyPatch,
) -> None:
    unset_public_url.setenv("FAMILLE_PORT", "8101")
    assert Settings().public_url == "http://127.0.0.1:8101"
    assert feed_url("abc") == "http://127.0.0.1:8101/ics/abc.ics"


def test_the_command_line_address_is_in_the_links(unset_public_url: pytest.MonkeyPatch) -> None:
    cli._listen_on(argparse.Namespace(host="192.0.2.10", port=8102))
    assert get_settings().public_url == "http://192.0.2.10:8102"


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("0.0.0.0", "http://127.0.0.1:8103"),
        ("::", "http://[::1]:8103"),
        ("::1", "http://[::1]:8103"),
        ("famille.local", "http://famille.local:8103"),
    ],
)
def test_an_address_on_every_interface_is_reached_on_the_loopback(
    unset_public_url: pytest.MonkeyPatch, host: str, url: str
) -> None:
    unset_public_url.setenv("FAMILLE_HOST", host)
    unset_public_url.setenv("FAMILLE_PORT", "8103")
    assert Settings().public_url == url


def test_a_configured_public_url_wins(unset_public_url: pytest.MonkeyPatch) -> None:
    unset_public_url.setenv("FAMILLE_PUBLIC_URL", "https://famille.ville.example")
    unset_public_url.setenv("FAMILLE_PORT", "8101")
    cli._listen_on(argparse.Namespace(host=None, port=8104))
    assert get_settings().public_url == "https://famille.ville.example"
    assert get_settings().port == 8104


def test_the_defaults_are_the_default_address(unset_public_url: pytest.MonkeyPatch) -> None:
    assert Settings().public_url == "http://127.0.0.1:8000"


def test_nothing_leaks_into_the_next_tests() -> None:
    assert get_settings().public_url == "http://famille.test"  # tests/conftest.py's
