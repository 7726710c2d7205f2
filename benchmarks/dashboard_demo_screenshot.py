"""The README's screenshot of the dashboard in the middle of ``make demo``.

Runs ``mineguard demo`` (as ``make demo`` does, on a free port) and, once the scenarios have raised
``--alerts`` alerts, logs Debian's chromium (headless, Playwright) in as the super-manager with the
password the demo prints, and saves the alerts view with the newest critical alert's evidence
open, then the mine map and the People view (``dashboard-demo-map.png``, ``-people.png``; not kept
in docs), at 1280x800:

    .venv/bin/python benchmarks/dashboard_demo_screenshot.py      # docs/dashboard-demo*.png
"""

from __future__ import annotations

import argparse
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, check, timeout_s: float):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.5)
    raise TimeoutError(f"no {what} within {timeout_s:.0f} s")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--alerts", type=int, default=4, help="take the pictures once this many alerts are open")
    p.add_argument("--out", type=Path, default=ROOT / "docs")
    args = p.parse_args()
    port = free_port()
    argv = [sys.executable, "-m", "mineguard", "demo", "--duration", "80", "--speed", "2", "--port", str(port)]
    demo = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    log: list[str] = []
    threading.Thread(target=lambda: log.extend(iter(demo.stderr.readline, "")), daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    try:
        pattern = re.compile(r"'admin' password: '([^']+)'")
        password = wait_for("admin password", lambda: next((m[1] for ln in log if (m := pattern.search(ln))), None), 90)
        with httpx.Client(base_url=base, timeout=10) as http:
            token = http.post("/api/v1/auth/token", json={"username": "admin", "password": password}).json()
            http.headers["Authorization"] = f"Bearer {token['access_token']}"
            wait_for(f"{args.alerts} alerts", lambda: len(http.get("/api/v1/alerts").json()) >= args.alerts, 120)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
            page.goto(base + "/dashboard/")
            page.get_by_label("Username").fill("admin")
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_selector('#live[data-state="live"]')
            first = page.locator("#alert-list li").first
            first.wait_for()
            first.get_by_role("button").first.click()
            page.wait_for_timeout(1500)  # the evidence and snapshot load
            page.screenshot(path=args.out / "dashboard-demo.png")
            for view in ("map", "people"):
                page.locator(f'#nav button[data-view="{view}"]').click()
                page.wait_for_timeout(1500)
                page.screenshot(path=args.out / f"dashboard-demo-{view}.png")
            browser.close()
        print(f"saved {args.out}/dashboard-demo.png, dashboard-demo-map.png, dashboard-demo-people.png")
        return 0
    finally:
        demo.terminate()
        demo.wait(30)


if __name__ == "__main__":
    raise SystemExit(main())
