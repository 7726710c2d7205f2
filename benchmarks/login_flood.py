"""/health latency while a flood of wrong passwords hits the login (issue 13, item 8).

Starts the real service (``uvicorn --factory mineguard.services.api.main:create_app`` on
127.0.0.1, SQLite file) once per configuration, then measures ``GET /api/v1/health`` latency
(one request every 50 ms, p50/p99) with no load and under a flood: ``--processes`` client
processes, each from its own loopback address (127.0.0.2, 127.0.0.3, ...), each with
``--threads`` connections posting wrong passwords for ever-changing usernames as fast as answers
come back. While the flood runs, a legitimate user (from 127.0.0.1) logs in, retrying after each
429 as its ``Retry-After`` says; the table gives how long that took. Configurations:

- ``unbounded``: lockouts and the password-check bound switched off (the service before item 8:
  every flood request spends an argon2 hash in a worker thread);
- ``check bound only``: lockouts off (an attacker with unlimited addresses and usernames), at
  most ``MINEGUARD_LOGIN_CONCURRENT_CHECKS`` (default: half the cores) hashes at once;
- ``defaults``: the shipped settings (per-address and per-account back-off, and the bound).

Results go to ``docs/results/platform.md`` (its own section) with ``--write``.

    .venv/bin/python benchmarks/login_flood.py --seconds 8 --write
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx

from results_file import run_lines, write_section

RESULTS = Path(__file__).resolve().parents[1] / "docs/results/platform.md"
ADMIN_PASSWORD = "bench-admin-password"
OFF = str(10**9)
CONFIGS = {
    "unbounded": {
        "MINEGUARD_LOGIN_CONCURRENT_CHECKS": "1000",
        "MINEGUARD_LOGIN_ACCOUNT_FAILURES": OFF,
        "MINEGUARD_LOGIN_ADDRESS_FAILURES": OFF,
    },
    "check bound only": {"MINEGUARD_LOGIN_ACCOUNT_FAILURES": OFF, "MINEGUARD_LOGIN_ADDRESS_FAILURES": OFF},
    "defaults": {},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    """``mineguard`` under uvicorn in its own process, on a fresh SQLite file."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.port, self.db = free_port(), folder / f"{uuid.uuid4().hex[:8]}.db"
        environ = {
            **os.environ,
            **env,
            "MINEGUARD_DATABASE_URL": f"sqlite:///{self.db}",
            "MINEGUARD_ADMIN_PASSWORD": ADMIN_PASSWORD,
        }
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "mineguard.services.api.main:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
        ]
        self.process = subprocess.Popen(command, env=environ)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError("the service did not start within 60 s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.db}{suffix}").unlink(missing_ok=True)


def health_latencies(url: str, seconds: float) -> list[float]:
    """Seconds per ``GET /api/v1/health``, one every 50 ms for ``seconds``."""
    latencies = []
    with httpx.Client(timeout=60) as client:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            started = time.perf_counter()
            client.get(f"{url}/api/v1/health").raise_for_status()
            latencies.append(time.perf_counter() - started)
            time.sleep(0.05)
    return latencies


def flood_worker(url: str, address: str, threads: int, seconds: float, results: multiprocessing.Queue) -> None:
    """One flooding process: ``threads`` connections from ``address`` until ``seconds`` have passed."""
    codes: Counter[int] = Counter()
    lock, end = threading.Lock(), time.monotonic() + seconds

    def run(index: int) -> None:
        transport = httpx.HTTPTransport(local_address=address)
        with httpx.Client(transport=transport, timeout=120) as client:
            i = 0
            while time.monotonic() < end:
                body = {"username": f"guess-{address}-{index}-{i}", "password": "wrong-password"}
                status = client.post(f"{url}/api/v1/auth/token", json=body).status_code
                with lock:
                    codes[status] += 1
                i += 1

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    results.put(dict(codes))


def legit_login_s(url: str, deadline_s: float) -> tuple[float, int]:
    """Seconds until the admin's login succeeds (retrying on 429 after Retry-After), and the tries."""
    started, tries = time.monotonic(), 0
    with httpx.Client(timeout=120) as client:
        while time.monotonic() - started < deadline_s:
            tries += 1
            response = client.post(f"{url}/api/v1/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD})
            if response.status_code == 200:
                return time.monotonic() - started, tries
            time.sleep(float(response.headers.get("Retry-After", "1")))
    return float("nan"), tries


def measure(name: str, args: argparse.Namespace, folder: Path) -> dict:
    service = Service(CONFIGS[name], folder)
    try:
        quiet = health_latencies(service.url, 3)
        queue: multiprocessing.Queue = multiprocessing.Queue()
        flooders = [
            multiprocessing.Process(
                target=flood_worker, args=(service.url, f"127.0.0.{2 + p}", args.threads, args.seconds + 1, queue)
            )
            for p in range(args.processes)
        ]
        for process in flooders:
            process.start()
        time.sleep(1.0)  # the flood is running
        legit: list[tuple[float, int]] = []
        login = threading.Thread(target=lambda: legit.append(legit_login_s(service.url, args.seconds)))
        login.start()
        loaded = health_latencies(service.url, args.seconds - 1)
        login.join()
        codes: Counter[int] = Counter()
        for _ in flooders:
            codes.update(queue.get(timeout=300))
        for process in flooders:
            process.join()
    finally:
        service.stop()
    return {"quiet": quiet, "loaded": loaded, "codes": codes, "legit": legit[0], "seconds": args.seconds}


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else values[0] * 1000


def row(name: str, r: dict) -> str:
    codes, flood_s = r["codes"], r["seconds"] + 1
    legit_s, tries = r["legit"]
    return (
        f"| {name} | {statistics.median(r['quiet']) * 1000:.1f} | {p(r['quiet'], 99):.1f} | "
        f"{statistics.median(r['loaded']) * 1000:.1f} | {p(r['loaded'], 99):.1f} | {codes[401] / flood_s:.1f} | "
        f"{codes[429] / flood_s:.0f} | {legit_s:.1f} s ({tries} tries) |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="flood length per configuration")
    parser.add_argument("--processes", type=int, default=4, help="flooding processes (one address each)")
    parser.add_argument("--threads", type=int, default=16, help="connections per flooding process")
    parser.add_argument("--write", action="store_true", help=f"add the section to {RESULTS.name}")
    args = parser.parse_args()
    folder = Path("runs/bench_login_flood")
    folder.mkdir(parents=True, exist_ok=True)
    results = {name: measure(name, args, folder) for name in CONFIGS}
    header = (
        "| configuration | quiet p50 ms | quiet p99 ms | flood p50 ms | flood p99 ms | hashes/s (401) | "
        "refused/s (429) | legit login |\n|---|---|---|---|---|---|---|---|"
    )
    table = "\n".join([header, *(row(name, r) for name, r in results.items())])
    print(table)
    if args.write:
        flood = f"--seconds {args.seconds:g} --processes {args.processes} --threads {args.threads}"
        command = f"benchmarks/login_flood.py {flood}"
        section = SECTION.format(
            provenance=run_lines(f".venv/bin/python {command} --write", load=True),
            processes=args.processes,
            connections=args.processes * args.threads,
            table=table,
        )
        write_section(RESULTS, section)
        print(f"wrote {RESULTS}")


SECTION = """
## Login flood: /health latency while wrong passwords pour in

{provenance}

The real service under uvicorn on 127.0.0.1 (SQLite file). `quiet`: /health with nothing else
running; `flood`: while {processes} client processes (one loopback address each, {connections} connections
in all) post wrong passwords for ever-new usernames as fast as answers come back. `legit login`:
the admin logging in from another address during the flood, retrying after each 429 as its
`Retry-After` says.

{table}

- `unbounded` is the login path before issue 13 item 8: every request takes a worker thread for
  its argon2 hash, so with more flooding connections (64) than worker threads (40) /health waits
  for a thread behind the hashes (only a handful of /health samples completed in the window).
- `check bound only`: at most `MINEGUARD_LOGIN_CONCURRENT_CHECKS` hashes at once (half the cores:
  1 here); waiting logins are held on the event loop, taking turns by client address (16 waiting
  per address at most, the rest refused), so worker threads stay free and a legitimate user at
  another address gets a turn after about one hash per flooding address.
- `defaults`: in addition each flooding address backs off after 20 failures (5 s, doubling to
  60 s); refused logins cost no hash and are answered after a 1 s tarpit
  (`MINEGUARD_LOGIN_REFUSAL_DELAY_S`), which is why so few 429s per second come back.
- The machine was shared with other sessions during the run (see the load average); compare
  each row's flood figures with its quiet ones rather than across runs.
"""


if __name__ == "__main__":
    main()
