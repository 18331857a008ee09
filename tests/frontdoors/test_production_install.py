"""A production install, as docs/deployment.md's « Production start » does it: `pip install .` with
the pinned versions and no extras in a fresh venv, `famille migrate`, `famille serve` on the
embedded defaults. Once per run, not per backend: it uses neither test database."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).parents[2]
# What `pip install .` needs, without the work tree's venv, caches and build leftovers
# (a stale build/ would package files that no longer exist).
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "*.egg-info", "var", "node_modules", "__pycache__", ".*_cache"
)
WAIT = 60.0
INSTALL_TIMEOUT = 900


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{args} failed:\n{output}"
    return output


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A throwaway venv with famille installed from a copy of the sources, and pip's output."""
    work = tmp_path_factory.mktemp("production")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    venv = work / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=work)
    output = run(
        venv / "bin" / "python",
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        # verbose: pip shows the build backend's warnings only then
        "--verbose",
        "-c",
        source / "constraints.txt",
        ".",
        cwd=source,
    )
    yield venv, output


def clean_env(**extra: str) -> dict[str, str]:
    """The machine's environment without the tests' FAMILLE_ settings: the defaults."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("FAMILLE_")}
    return {**env, **extra}


def test_the_build_is_without_deprecation_warnings(installed: tuple[Path, str]) -> None:
    _, output = installed
    warnings = [
        line
        for line in output.splitlines()
        if "BuildBackendWarning" in line or "DeprecationWarning" in line or "deprecated" in line
    ]
    assert warnings == []


def test_every_module_imports_without_the_dev_extra(installed: tuple[Path, str]) -> None:
    venv, _ = installed
    # given no test tool in the venv
    listed = run(venv / "bin" / "python", "-m", "pip", "list", "--format=freeze", cwd=venv)
    assert "pytest==" not in listed and "httpx==" in listed
    # then every module of the service imports (a dev-only import anywhere would fail)
    script = (
        "import importlib, pkgutil\n"
        "import cli, settings\n"
        "for package in ('gql', 'models', 'resolvers', 'jobs'):\n"
        "    module = importlib.import_module(package)\n"
        "    for found in pkgutil.walk_packages(module.__path__, package + '.'):\n"
        "        if '.migrations' not in found.name:\n"
        "            importlib.import_module(found.name)\n"
        "print('ok')\n"
    )
    home = venv.parent / "empty"
    home.mkdir(exist_ok=True)
    assert run(venv / "bin" / "python", "-c", script, cwd=home, env=clean_env()).strip() == "ok"


def test_a_plain_pip_install_resolves_without_the_constraints(
    installed: tuple[Path, str], tmp_path: Path
) -> None:
    """What a town's IT types from the docs, without our constraints file: pip must find one
    set of versions that pyproject's ranges allow (open ranges on OpenTelemetry's lockstep
    packages once made it fail with ResolutionImpossible while the pinned install passed)."""
    venv, _ = installed
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    report = tmp_path / "report.json"
    run(
        venv / "bin" / "python",
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--quiet",
        "--dry-run",
        "--ignore-installed",
        "--report",
        report,
        ".",
        cwd=source,
    )
    resolved = {
        item["metadata"]["name"].lower() for item in json.loads(report.read_text())["install"]
    }
    assert {"famille", "strawberry-graphql", "opentelemetry-sdk", "authlib"} <= resolved


def test_famille_serve_answers(installed: tuple[Path, str]) -> None:
    venv, _ = installed
    # given a town's fresh server directory, on the embedded defaults (SQLite, fakeredis)
    home = venv.parent / "town"
    home.mkdir(exist_ok=True)
    famille = venv / "bin" / "famille"
    env = clean_env()
    run(famille, "migrate", cwd=home, env=env)
    port = free_port()

    # when `famille serve` runs
    log = home / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [str(famille), "serve", "--port", str(port)],
            cwd=home,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + WAIT
        health = None
        while health is None:
            if server.poll() is not None:
                pytest.fail(f"famille serve exited ({server.returncode}):\n{log.read_text()}")
            try:
                health = httpx.get(f"{url}/healthz", timeout=5)
            except httpx.TransportError:
                assert time.monotonic() < deadline, f"no answer:\n{log.read_text()}"
                time.sleep(0.2)

        # then it is healthy and answers GraphQL
        assert health.status_code == 200
        assert health.json() == {
            "status": "ok",
            "database": "ok",
            "redis": "embedded",
            "smtp": "files",
        }
        answer = httpx.post(f"{url}/graphql", json={"query": "{ __typename }"}, timeout=10)
        assert answer.json() == {"data": {"__typename": "Query"}}
        page = httpx.get(f"{url}/graphql", headers={"Accept": "text/html"}, timeout=10)
        assert 'id="famille-default-query"' in page.text
    finally:
        server.terminate()
        server.wait(timeout=WAIT)
