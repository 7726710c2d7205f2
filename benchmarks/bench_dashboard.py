"""The dashboard under load: first paint, live updates kept up with, and the browser tab's CPU.

The sample site scaled up (its sensors copied ``--copies`` times, about 100 in all, plus cameras up
to six) runs in a real ``mineguard serve`` on loopback. The simulated mine's sensor physics
(``mineguard.sim.sensors.SensorField``) posts every sensor once per second over the HTTP readings
interface, and each camera posts a vision event with a snapshot every ``--camera-every`` seconds
and its health, as a camera box would (``ServiceSink``). Debian's chromium (headless, through
Playwright) is logged in as the super-manager and shows each view in turn for ``--seconds``.

Measured:

* first paint: five reloads of a logged-in tab — first contentful paint, and the time until the
  stream is live and the map is drawn (the page's own ``performance.now()``);
* updates: ``device.reading`` frames the tab received against the per-sensor updates the service
  published, and ``stream.lagged`` frames (the service dropping events for a slow tab: must be 0);
* CPU: the tab's main-thread busy time (Chrome DevTools ``Performance.getMetrics`` TaskDuration)
  per wall second while a view is on screen, and the page's JavaScript heap.

    .venv/bin/python benchmarks/bench_dashboard.py                  # writes docs/results/dashboard.md
    .venv/bin/python benchmarks/bench_dashboard.py --seconds 10 --no-write
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import yaml

import local_servers  # noqa: F401  (puts tests/support on the path)
from local_service import local_service
from machine_info import describe
from mineguard.edge.sink import ServiceSink, login_token
from mineguard.mine.site import SAMPLE_SITE, load_site
from mineguard.runtime.scene import VisionEvent
from mineguard.runtime.watch import Evidence
from mineguard.sim.client import ServiceClient
from mineguard.sim.sensors import SensorField
from results_file import write_section

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
VIEWS = ("alerts", "map", "sensors", "cameras", "people")  # data-view of the nav buttons


def scaled_site(folder: Path, copies: int, cameras: int) -> Path:
    """The sample site with each sensor ``copies`` times (ids ``<id>.<k>``) and ``cameras`` cameras."""
    source = ROOT / "src" / "mineguard" / "mine" / "sites" / SAMPLE_SITE
    site = yaml.safe_load(source.read_text(encoding="utf-8"))
    devices = site["devices"]
    sensors = [d for d in devices if d["kind"] == "sensor"]
    for k in range(1, copies):
        devices.extend({**d, "id": f"{d['id']}.{k}"} for d in sensors)
    have = [d for d in devices if d["kind"] == "camera"]
    zones = [z["id"] for z in site["zones"]]
    for k in range(len(have), cameras):
        devices.append({"id": f"cam-bench-{k}", "kind": "camera", "zone": zones[k % len(zones)]})
    path = folder / "bench_site.yaml"
    path.write_text(yaml.safe_dump(site, sort_keys=False), encoding="utf-8")
    load_site(path)  # the scaled site must still be a valid site
    return path


def feed(url: str, user: str, password: str, site_path: Path, stop: threading.Event, stats: dict, every_s: float):
    """Every sensor once per second (HTTP batches) and the cameras' events, until ``stop``."""
    site = load_site(site_path)
    field = SensorField(site, seed=0, dropout=0.0)
    cameras = [d for d in site.devices if d.kind == "camera"]
    sink = ServiceSink(url, token=login_token(url, user, password))
    jpeg = cv2.imencode(".jpg", np.full((540, 960, 3), (40, 60, 80), np.uint8))[1].tobytes()
    next_camera = time.monotonic()
    with ServiceClient(url, user, password) as client:
        tick = time.monotonic()
        while not stop.is_set():
            t = datetime.now(UTC)
            readings = [r.payload(t.isoformat()) for r in field.step(1.0)]
            report = client.post_readings(readings)
            stats["sent"] += len(readings)
            stats["accepted"] += int(report.get("accepted", 0))
            stats["batches"] += 1
            if time.monotonic() >= next_camera:
                next_camera += every_s
                for n, camera in enumerate(cameras):
                    box = (1.0, 1.0, 50.0, 90.0)
                    event = VisionEvent(camera.id, camera.zone, "person", True, n, "person", 0.8, box, None, t, t)
                    sink.send(camera.id, [event], {event.event_id: Evidence(jpeg)})
                    stats["camera_events"] += 1
            tick += 1.0
            stop.wait(max(0.0, tick - time.monotonic()))
    sink.close()


def first_paint(page, base: str, runs: int = 5) -> tuple[float, float]:
    """Median first contentful paint and time to 'live with the map drawn', ms, over ``runs`` reloads."""
    fcp, ready = [], []
    for _ in range(runs):
        page.goto(base + "/dashboard/")
        page.wait_for_selector('#live[data-state="live"]')
        page.locator("#map *").nth(10).wait_for(state="attached")  # the map is drawn (CSP forbids eval'd predicates)
        ready.append(page.evaluate("performance.now()"))
        fcp.append(
            page.evaluate(
                "performance.getEntriesByType('paint').find(e => e.name === 'first-contentful-paint')?.startTime ?? NaN"
            )
        )
    return statistics.median(fcp), statistics.median(ready)


def busy(cdp) -> dict[str, float]:
    return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}


def run(args: argparse.Namespace) -> dict:
    from playwright.sync_api import sync_playwright

    out: dict = {"views": {}}
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        folder = Path(tmp)
        site_path = scaled_site(folder, args.copies, args.cameras)
        site = load_site(site_path)
        out["sensors"] = sum(d.kind == "sensor" for d in site.devices)
        out["cameras"] = sum(d.kind == "camera" for d in site.devices)
        with local_service(folder, site_file=site_path) as service, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
            frames = {"device.reading": 0, "stream.lagged": 0, "other": 0}

            def on_socket(ws) -> None:
                def on_frame(payload) -> None:
                    text = payload if isinstance(payload, str) else payload.decode()
                    kind = next((k for k in ("device.reading", "stream.lagged") if f'"{k}"' in text[:60]), "other")
                    frames[kind] += 1

                ws.on("framereceived", on_frame)

            page.on("websocket", on_socket)
            page.goto(service.url + "/dashboard/")
            page.get_by_label("Username").fill(service.username)
            page.get_by_label("Password").fill(service.password)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_selector('#live[data-state="live"]')
            out["fcp_ms"], out["ready_ms"] = first_paint(page, service.url)
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            stop, stats = threading.Event(), {"sent": 0, "accepted": 0, "batches": 0, "camera_events": 0}
            feeder = threading.Thread(
                target=feed,
                args=(service.url, service.username, service.password, site_path, stop, stats, args.camera_every),
                daemon=True,
            )
            before_frames = dict(frames)  # every update of the feed is counted, from its first batch to its last
            feeder.start()
            time.sleep(3)  # the feed settles
            for view in VIEWS:
                button = page.locator(f'#nav button[data-view="{view}"]')
                if button.count() == 0:
                    continue
                button.click()
                start, m0 = time.monotonic(), busy(cdp)
                time.sleep(args.seconds)
                wall, m1 = time.monotonic() - start, busy(cdp)
                out["views"][view] = {
                    "cpu": (m1["TaskDuration"] - m0["TaskDuration"]) / wall,
                    "script": (m1["ScriptDuration"] - m0["ScriptDuration"]) / wall,
                    "heap_mb": m1["JSHeapUsedSize"] / 2**20,
                }
            stop.set()
            feeder.join(30)
            time.sleep(3)  # the last batch reaches the tab
            published = stats["batches"] * out["sensors"]
            out["published"] = published
            out["received"] = frames["device.reading"] - before_frames["device.reading"]
            out["lagged"] = frames["stream.lagged"]
            out["stats"] = stats
            browser.close()
    return out


def report(out: dict, args: argparse.Namespace, machine: str) -> str:
    rows = "\n".join(
        f"| {view} | {v['cpu'] * 100:.1f} % | {v['script'] * 100:.1f} % | {v['heap_mb']:.1f} |"
        for view, v in out["views"].items()
    )
    s = out["stats"]
    return f"""## Dashboard under load: {out["sensors"]} sensors at 1 Hz and {out["cameras"]} cameras

Command: `.venv/bin/python benchmarks/bench_dashboard.py --seconds {args.seconds} --copies {args.copies}
--cameras {args.cameras}` · {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {machine}

The sample site with every sensor {args.copies}x ({out["sensors"]} sensors) and {out["cameras"]} cameras, in a real
`mineguard serve` on loopback (SQLite); the simulated sensor physics posts every sensor once a second
over `POST /api/v1/readings`, each camera a vision event with a 960x540 snapshot every
{args.camera_every:g} s (`ServiceSink`, as a camera box). Chromium {CHROMIUM} headless at 1280x800, logged in as
the super-manager, each view on screen for {args.seconds} s while the feed runs.

| first contentful paint | live, map drawn | readings posted | sensor updates published | received by the tab | lagged |
|---:|---:|---:|---:|---:|---:|
| {out["fcp_ms"]:.0f} ms | {out["ready_ms"]:.0f} ms | {s["accepted"]:,} of {s["sent"]:,} | {out["published"]:,} \
| {out["received"]:,} | {out["lagged"]} |

| view on screen | tab main thread busy | of which script | JS heap, MB |
|---|---:|---:|---:|
{rows}

"Busy" is the share of one core the tab's main thread spent on tasks (DevTools `TaskDuration`
per wall second); "lagged" counts `stream.lagged` frames (the service dropping events for a slow
tab). The browser's compositor and network processes are not in it. First paint is
the median of five reloads of a logged-in tab (the token is kept in the tab's session).
"""


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=int, default=20, help="seconds each view is on screen under load")
    p.add_argument("--copies", type=int, default=7, help="each sample sensor this many times (7: 105)")
    p.add_argument("--cameras", type=int, default=6)
    p.add_argument("--camera-every", type=float, default=5.0, help="seconds between a camera's vision events")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "results" / "dashboard.md")
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: install Debian's chromium", file=sys.stderr)
        return 2
    machine = describe(threads=1)
    out = run(args)
    text = report(out, args, machine)
    print(text)
    if not args.no_write:
        if not args.out.exists():
            args.out.write_text("# The dashboard: speed and load\n\n", encoding="utf-8")
        write_section(args.out, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
