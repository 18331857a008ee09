"""The systemd units of docs/deploy/ (docs/deployment.md) as systemd reads them: no unknown
key or bad value (``systemd-analyze verify``, with the famille command of this checkout in
place of /opt/famille's), commands that `famille` accepts, the API on the port nginx's
site file proxies to."""

import re
import shlex
import shutil
import subprocess
import sys
from configparser import ConfigParser
from pathlib import Path

import pytest

import cli

DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "deploy"
UNITS = {
    "famille-api.service": "famille-api.service",
    "famille-worker@.service": "famille-worker@1.service",
}
INSTALLED = "/opt/famille/.venv/bin/famille"


def unit(name: str) -> ConfigParser:
    parser = ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / name).read_text())
    return parser


def test_systemd_reads_the_units_without_a_complaint(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing (Debian's systemd package)")
    famille = str(Path(sys.executable).parent / "famille")
    paths = []
    for source, instance in UNITS.items():
        path = tmp_path / instance
        path.write_text((DEPLOY / source).read_text().replace(INSTALLED, famille))
        paths.append(str(path))
    result = subprocess.run(
        [analyze, "verify", *paths], capture_output=True, text=True, cwd=tmp_path
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.parametrize("name", sorted(UNITS))
def test_the_commands_are_famille_commands(name: str) -> None:
    command = shlex.split(unit(name)["Service"]["ExecStart"])
    assert command[0] == INSTALLED
    args = cli.build_parser().parse_args(command[1:])
    assert args.command in ("serve", "worker")
    service = unit(name)["Service"]
    assert service["EnvironmentFile"] == "/etc/famille/famille.env"
    assert service["User"] == "famille"


def test_the_api_listens_where_nginx_proxies() -> None:
    args = cli.build_parser().parse_args(
        shlex.split(unit("famille-api.service")["Service"]["ExecStart"])[1:]
    )
    [upstream] = re.findall(r"server (\S+);", (DEPLOY / "nginx-famille.conf").read_text())
    assert f"{args.host}:{args.port}" == upstream
