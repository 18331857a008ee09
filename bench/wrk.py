"""The calendar scenarios of ``bench/run`` under wrk, a C load generator (``bench/wrk``).

The asyncio load client of ``bench/run`` takes a share of the machine's two cores; wrk
takes far less, so ratios to the raw endpoint come closer to what a separate load
machine would see. On the database ``bench/run`` seeded (``FAMILLE_BENCH_DATABASE``): our
app, the raw endpoint and, with ``--versus DIR``, the app of another checkout, each
scenario on each server in turn, ``--rounds`` times; random children among all those
seeded, as ``bench/run`` picks them.

    bench/wrk [--duration 10] [--connections 8] [--rounds 3] [--versus ../main]
"""

import argparse
import asyncio
import random
import re
import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path

import orjson

from bench import scenarios
from bench.main import HOST, Server, detect_days_kind, servers_running, wait_ready
from bench.scenarios import MONTH, YEAR, Target

# Requests, as Lua strings taken in turn by each connection (wrk's `request` hook).
LUA = """
local requests = {%s}
local n = 0
request = function()
  n = n %% #requests + 1
  return requests[n]
end
"""
WARMUP = 2  # seconds before each measured run
SAMPLE = 1000  # children per scenario: every request differs, the Lua table stays small


def lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


def request_text(server: Server, payload: object, token: str) -> str:
    """One POST as wrk sends it (wrk.format in Lua would build the same)."""
    body = orjson.dumps(payload).decode()
    path = "/calendar" if server.name == "raw" else "/graphql"
    head = [
        f"POST {path} HTTP/1.1",
        f"Host: {HOST}:{server.port}",
        "Content-Type: application/json",
        "Accept: application/json",
        f"Content-Length: {len(body.encode())}",
        f"Authorization: Bearer {token}",
    ]
    return "\r\n".join(head) + "\r\n\r\n" + body


def script(
    server: Server, days: str, span: tuple[date, date], targets: list[Target], logs: Path
) -> Path:
    """The Lua script sending ``targets``' calendars of ``span`` to ``server``."""
    texts = []
    for target in targets:
        if server.name == "raw":
            payload: object = scenarios.raw_calendar(target, span)
        else:
            payload = scenarios.ours_calendar(target, span, days)
        texts.append(lua_string(request_text(server, payload, target.token)))
    path = logs / f"{server.name}-{span[0]}.lua"
    path.write_text(LUA % ",\n".join(texts))
    return path


def run_wrk(server: Server, lua: Path, connections: int, seconds: float) -> tuple[float, int]:
    """Requests per second and non-2xx answers of one wrk run."""
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds:g}s",
               "-s", str(lua), f"http://{HOST}:{server.port}/"]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, int(bad.group(1)) if bad else 0


async def main(args: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("bench/wrk: wrk not found (apt-get install wrk)")
    targets = random.Random(7).sample(await scenarios.load_targets(), SAMPLE)
    with tempfile.TemporaryDirectory(prefix="famille-wrk-") as tmp:
        logs = Path(tmp)
        with servers_running(logs, args.versus) as (ours, raw, versus):
            servers = [s for s in (ours, versus, raw) if s is not None]
            await asyncio.gather(*(wait_ready(s, timeout=120) for s in servers))  # loaded box
            days = {
                s.name: scenarios.days_selection(await detect_days_kind(s))
                for s in servers
                if s.name != "raw"
            }
            for name, span in (("month", MONTH), ("year", YEAR)):
                scripts = {
                    s.name: script(s, days.get(s.name, ""), span, targets, logs) for s in servers
                }
                rates: dict[str, list[float]] = {s.name: [] for s in servers}
                for _ in range(args.rounds):
                    for server in servers:
                        lua = scripts[server.name]
                        run_wrk(server, lua, args.connections, WARMUP)
                        rate, bad = run_wrk(server, lua, args.connections, args.duration)
                        if bad:
                            raise SystemExit(f"{server.name}: {bad} failed answers")
                        rates[server.name].append(rate)
                        print(f"  {name:5} {server.name:6} {rate:8.1f} req/s", flush=True)
                raw_rate = sum(rates["raw"]) / len(rates["raw"])
                summary = ", ".join(
                    f"{s} {sum(r) / len(r):.1f} req/s = {sum(r) / len(r) / raw_rate:.1%} of raw"
                    for s, r in rates.items()
                    if s != "raw"
                )
                print(f"{name}: {summary} (raw {raw_rate:.1f} req/s)", flush=True)


def cli() -> None:
    parser = argparse.ArgumentParser(description="calendar scenarios under wrk")
    parser.add_argument("--duration", type=float, default=10, help="seconds per run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="turns of every server")
    parser.add_argument("--versus", type=Path, help="another checkout, measured beside ours")
    asyncio.run(main(parser.parse_args()))


if __name__ == "__main__":
    cli()
