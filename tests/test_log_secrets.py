"""No secret in any log: the whole session's log records, written at DEBUG through the
production redaction and JSON format (tests/conftest.py), hold none of the passwords,
IBANs and health notes the suite typed in (tests/samples.py), nor any session token a
test sent. Runs after every other test (conftest's collection hook).

It cannot pass for want of logs: before scanning, it logs in, reads with its token, fails
a login, creates children with health notes and a mandate with an IBAN, and runs the jobs,
then checks the log holds the traces of that work (SQL statements, GraphQL operations,
job runs) without its secrets.
"""

import json
import re
from typing import Any

from models.accounts import AccountRole
from tests.billing_factories import make_billing_town, make_family
from tests.conftest import SECRETS_USED, SUITE_LOG, GraphQL
from tests.factories import PASSWORD, make_account, make_town
from tests.ops_factories import make_ops_town
from tests.samples import PASSWORDS, known_secrets
from tests.sepa_factories import make_creditor, make_mandate

LOGIN = """
mutation Login($town: String!, $email: String!, $password: String!) {
  login(input: {town: $town, email: $email, password: $password}) { token errors { code } }
}
"""
ME = "query Me { me { email } }"
# What a session token (43 URL-safe characters) looks like in a line of the log.
TOKEN_SHAPED = re.compile(r"[A-Za-z0-9_-]{16,}")


async def test_the_suite_logged_no_secret(api: GraphQL, clock: Any, run_jobs: Any) -> None:
    # given the work that handles secrets: logins (right and wrong), a session token,
    # health notes, an IBAN, queued mails
    town = await make_town()
    parent = await make_account(town, clock, role=AccountRole.PARENT)
    wrong = await api(LOGIN, {"town": town.slug, "email": parent.email, "password": PASSWORDS[-1]})
    assert wrong["data"]["login"]["errors"] == [{"code": "INVALID_CREDENTIALS"}]
    logged_in = await api(LOGIN, {"town": town.slug, "email": parent.email, "password": PASSWORD})
    token = logged_in["data"]["login"]["token"]
    assert (await api(ME, token=token))["data"]["me"]["email"] == parent.email
    await make_ops_town(clock)
    billing = await make_billing_town(clock)
    await make_creditor(billing, clock)
    await make_mandate(billing, await make_family(billing, clock), clock)
    await run_jobs()

    # when the session's log is read back
    text = SUITE_LOG.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    # then it holds the work above: every line is JSON, SQL was logged (parameters
    # masked), the operations and the job runs were
    assert lines and len(lines) == len(text.splitlines())
    loggers = {line["logger"] for line in lines}
    assert "tortoise.db_client" in loggers, sorted(loggers)
    assert any("[paramètres masqués]" in line["message"] for line in lines)
    assert any(
        line["logger"] == "famille.graphql.operations" and line.get("operation") == "login"
        for line in lines
    )
    assert any(line.get("job") for line in lines), "no job run was logged"
    assert token in SECRETS_USED
    # and not one secret of the whole session (tokens found among the log's token-shaped
    # words: thousands of them, against a log of the whole suite)
    words = set(TOKEN_SHAPED.findall(text))
    leaked = {secret for secret in known_secrets() if secret in text} | (SECRETS_USED & words)
    offenders = sorted(
        f"{secret!r} in: {line[:300]}"
        for line in text.splitlines()
        for secret in leaked
        if secret in line
    )
    assert not leaked, "\n".join(offenders[:50])
