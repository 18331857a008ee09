"""The `famille` command: its version, a help text on every command and flag, and a quiet
idle `famille dev` log."""

import argparse
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from cli import build_parser, logger_levels


def parsers() -> Iterator[tuple[str, argparse.ArgumentParser]]:
    parser = build_parser()
    yield "famille", parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield f"famille {name}", sub


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit:
        build_parser().parse_args(["--version"])
    assert exit.value.code == 0
    assert capsys.readouterr().out == f"famille {version('famille')}\n"


def test_every_command_and_flag_has_a_help_text() -> None:
    missing = []
    for name, parser in parsers():
        if not parser.description:
            missing.append(name)
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                missing += [
                    f"{name} {choice.dest}" for choice in action._choices_actions if not choice.help
                ]
            elif not action.help:
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
    assert missing == []
    assert len(list(parsers())) == 16  # famille and its 15 commands


@pytest.fixture
def restore_arq_level() -> Iterator[None]:
    arq = logging.getLogger("arq")
    level = arq.level
    yield
    arq.setLevel(level)


def arq_records(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("arq")]


async def test_an_idle_dev_worker_tick_logs_nothing_below_debug(
    run_jobs: Any, caplog: pytest.LogCaptureFixture, restore_arq_level: None
) -> None:
    """A real worker run with nothing to do (the outbox relay cron runs at start): arq
    logs the cron's start and end at INFO, which `famille dev` keeps out unless
    FAMILLE_LOG_LEVEL=debug; a production worker keeps them."""
    caplog.set_level(logging.INFO)
    await run_jobs()
    assert any("relay_outbox" in message for message in arq_records(caplog))

    assert logger_levels("worker", "info") == {}
    assert logger_levels("dev", "debug") == {}
    for name, level in logger_levels("dev", "info").items():
        logging.getLogger(name).setLevel(level)
    caplog.clear()
    await run_jobs()
    assert arq_records(caplog) == []
    logging.getLogger("arq.worker").warning("une tâche a échoué")
    assert arq_records(caplog) == ["une tâche a échoué"]
