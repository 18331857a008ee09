"""The README's walkthrough replays as written, on a freshly seeded demo, at several dates.

Its ```graphql blocks run in order, as Julien would paste them into GraphiQL, with their
placeholders (`"<…>"`) replaced by what the earlier answers returned (the table below says
which; a placeholder the table does not know fails the test). Each answer must match the
```json block that follows: every key shown is there with that value; `"…"` stands for any
value, `…` inside a string for any text, and `"…"` in a list for any number of elements
(without it, the list has exactly those elements).
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from resolvers.core.clock import FrozenClock
from resolvers.demo.demo import seed_demo
from settings import get_settings
from tests.conftest import GraphQL, Mailbox
from tests.demo.dates import WALKTHROUGH_DATES, date_id

pytestmark = pytest.mark.usefixtures("backend")

README = Path(__file__).parent.parent.parent / "README.md"
SECTION = "## Walkthrough"
ELIDED = "…"
DEV_URL = "http://127.0.0.1:8000"


@dataclass
class Walk:
    """What the reader has at hand: the demo's printout, today, and the answers so far."""

    today: date
    access_key: str
    activation_token: str = ""
    answers: list[dict[str, Any]] = field(default_factory=list)

    def step(self, number: int) -> dict[str, Any]:
        data: dict[str, Any] = self.answers[number - 1]["data"]
        return data


def _invoice_open_for_payment(walk: Walk) -> str:
    nodes = walk.step(9)["invoices"]["nodes"]
    return str(next(n["id"] for n in nodes if n["paymentWindow"]["open"]))


def _evening_care(walk: Walk) -> str:
    lines = walk.step(6)["calendar"]
    return str(
        next(line["activity"]["id"] for line in lines if line["activity"]["code"] == "APS-SOIR")
    )


PLACEHOLDERS: dict[str, Callable[[Walk], str]] = {
    "today": lambda walk: walk.today.isoformat(),
    "today + 10 weeks": lambda walk: (walk.today + timedelta(weeks=10)).isoformat(),
    "token at the end of the activation link": lambda walk: walk.activation_token,
    "access key printed by ./scripts/dev": lambda walk: walk.access_key,
    "household id from step 4": lambda walk: walk.step(4)["linkHousehold"]["household"]["id"],
    "Léa's id from step 5": lambda walk: next(
        child["id"]
        for child in walk.step(5)["me"]["households"][0]["children"]
        if child["firstNames"] == "Léa"
    ),
    "APS-SOIR id from step 6": _evening_care,
    "invoice id from step 9": _invoice_open_for_payment,
}


def walkthrough(public_url: str) -> list[tuple[str, Any]]:
    """The section's (GraphQL document, expected answer) pairs, in order; links in the
    answers point at ``public_url`` rather than ``./scripts/dev``'s address."""
    text = README.read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + 1)
    section = text[start : end if end != -1 else None]
    blocks = re.findall(r"```(graphql|json)\n(.*?)```", section, re.DOTALL)
    kinds = [kind for kind, _ in blocks]
    assert kinds == ["graphql", "json"] * (len(blocks) // 2), kinds
    return [
        (blocks[i][1], json.loads(blocks[i + 1][1].replace(DEV_URL, public_url)))
        for i in range(0, len(blocks), 2)
    ]


def substitute(document: str, walk: Walk) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in PLACEHOLDERS, f"the test does not know the placeholder <{name}>"
        return json.dumps(PLACEHOLDERS[name](walk))

    return re.sub(r'"<([^">]+)>"', value, document)


def mismatch(expected: Any, actual: Any, path: str = "") -> str | None:
    """Why ``actual`` does not match the abridged ``expected`` (None when it does)."""
    if expected == ELIDED:
        return None
    if isinstance(expected, str) and ELIDED in expected and isinstance(actual, str):
        pattern = ".*".join(re.escape(part) for part in expected.split(ELIDED))
        return None if re.fullmatch(pattern, actual, re.DOTALL) else f"{path}: {actual!r}"
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{path}: {actual!r} is not an object"
        for key, value in expected.items():
            if key not in actual:
                return f"{path}.{key} missing"
            why = mismatch(value, actual[key], f"{path}.{key}")
            if why:
                return why
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return f"{path}: {actual!r} is not a list"
        return _list_mismatch(expected, actual, path)
    return None if expected == actual else f"{path}: {actual!r} instead of {expected!r}"


def _list_mismatch(expected: list[Any], actual: list[Any], path: str) -> str | None:
    """Each element shown matches one of the answer's, in order; `"…"` skips any number."""
    if not expected:
        return None if not actual else f"{path}: {len(actual)} elements instead of none"
    head, rest = expected[0], expected[1:]
    if head == ELIDED:
        if not rest:
            return None
        for start in range(len(actual) + 1):
            if _list_mismatch(rest, actual[start:], path) is None:
                return None
        return f"{path}: no elements match {rest!r}"
    if not actual:
        return f"{path}: missing {head!r}"
    why = mismatch(head, actual[0], f"{path}[0]")
    return why or _list_mismatch(rest, actual[1:], path)


def activation_tokens(mailbox: Mailbox) -> set[str]:
    return {
        token
        for message in mailbox.to("julien@exemple.fr")
        for token in re.findall(r"/activation/([\w-]+)", Mailbox.text(message))
    }


@pytest.fixture(params=WALKTHROUGH_DATES, ids=date_id)
def clock(request: pytest.FixtureRequest) -> FrozenClock:
    return FrozenClock(request.param)


async def test_the_readme_walkthrough_replays_on_a_fresh_demo(
    clock: FrozenClock, api: GraphQL, mailbox: Mailbox, run_jobs: Callable[[], Any]
) -> None:
    town = f"walkthrough-{clock.now():%Y%m%d%H%M}"
    credentials = await seed_demo(clock=clock, town=town)
    assert credentials.access_key is not None
    walk = Walk(
        today=clock.now().astimezone(ZoneInfo("Europe/Paris")).date(),
        access_key=credentials.access_key,
    )
    steps = walkthrough(get_settings().public_url)
    assert len(steps) == 10
    token = None
    seen = activation_tokens(mailbox)
    for number, (document, expected) in enumerate(steps, start=1):
        query = substitute(document, walk).replace('town: "demo"', f'town: "{town}"')
        answer = await api(query, token=token)
        walk.answers.append(answer)
        assert "errors" not in answer, (number, answer)
        why = mismatch(expected, answer)
        assert why is None, f"step {number}: {why}\n{json.dumps(answer, ensure_ascii=False)}"
        if number == 1:  # the worker sends the activation mail
            await run_jobs()
            (walk.activation_token,) = activation_tokens(mailbox) - seen
        if number == 3:  # GraphiQL's Headers tab
            token = answer["data"]["login"]["token"]


def test_the_walkthrough_is_ten_steps_each_with_its_answer() -> None:
    steps = walkthrough(DEV_URL)
    assert len(steps) == 10
    assert all(document.lstrip().startswith(("mutation", "{")) for document, _ in steps)


def test_the_matcher_reads_the_abridged_answers_as_the_readme_says() -> None:
    assert mismatch({"a": "…"}, {"a": 3, "b": 4}) is None
    assert mismatch({"a": 1}, {"a": 2}) is not None
    assert mismatch("Modifiable jusqu'au …", "Modifiable jusqu'au lundi 7") is None
    assert mismatch("Modifiable jusqu'au …", "Délai dépassé") is not None
    assert mismatch(["…", {"x": 2}, "…"], [{"x": 1}, {"x": 2}, {"x": 3}]) is None
    assert mismatch(["…", {"x": 4}, "…"], [{"x": 1}, {"x": 2}]) is not None
    assert mismatch([{"x": 1}], [{"x": 1}, {"x": 2}]) is not None
    assert mismatch([], [1]) is not None
