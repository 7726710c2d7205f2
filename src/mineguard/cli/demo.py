"""``mineguard demo`` (the main job, ``make demo``): the platform and the simulated mine playing the
scenarios of the site's scenario file (the four of seed 003 §4 on the bundled sample).

The CLI starts the service itself: ``create_app`` served by uvicorn in a thread on 127.0.0.1 (a
free port unless ``--port``), on a fresh temporary SQLite unless ``--database-url``. Then the
simulated mine drives it as any client would: readings over the service's in-process bus (or
``--mqtt HOST:PORT``, the broker the service then subscribes to), everything else over HTTP as
the super-manager created at bootstrap. Headless with ``--duration N``: prints the summary and
exits 0 when every scenario raised its alert and nothing else critical fired, else 1.

When the scenario file has a ``demo_shift``, the service runs on a per-run copy of the site file
whose shifts are that one short shift, ending during the run (:mod:`mineguard.sim.demo_site`), and
the headcount is checked every ``DEMO_HEADCOUNT_CHECK_S``: who is still underground at its end
raises "miner not accounted for". The site file itself is never changed.

The dashboard's address is printed as soon as the service is up; ``--open`` (``make demo``) also
opens it in the user's browser (``webbrowser``; on a machine without one the address is all there
is), and ``--stay`` keeps the service and its dashboard up after the run until Ctrl-C, so the
alerts, the map and the rescue list can be looked at after the summary.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from mineguard.cli.sim import add_run_options, check_pace, drive, host_port

HOST = "127.0.0.1"
DEMO_CAMERA_FPS = 3.0  # the demo judges 3 frames a second, leaving the CPU to the simulated mine
DEMO_HEADCOUNT_CHECK_S = 2.0  # who is underground, reconciled every 2 s (the service's default is 15 s)
# early warning on the demo's compressed clock: the scenarios play minutes of a mine in about a minute, so the
# trend model looks at the last 60 s (from 20 s on) and 2 min ahead, every 2 s (the service's default: 5 min
# of history, at least 2 min of it, 10 min ahead, every 10 s)
DEMO_RISK_MODEL = "trend:window_s=60,min_span_s=20,horizon_s=120"
DEMO_RISK_CHECK_S = 2.0


def free_port(host: str = HOST) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@contextmanager
def serving(app, host: str, port: int, timeout_s: float = 30.0) -> Iterator[None]:
    """``app`` served by uvicorn in a thread (its lifespan runs: ingest, alert pipeline, tickers)."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="mineguard-demo-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise ValueError(f"the API did not start on {host}:{port} — is the port free?")
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(15.0)


def cmd_demo(args: argparse.Namespace) -> int:
    from mineguard.services.api.main import create_app
    from mineguard.services.settings import Settings
    from mineguard.sim.client import ServiceClient, ServiceError
    from mineguard.sim.publish import BusPublisher, MqttPublisher
    from mineguard.sim.script import load_sim

    check_pace(args)
    sim = load_sim(args.site)  # a bad site or scenario file stops here, before anything starts
    sitedir = tempfile.TemporaryDirectory(prefix="mineguard-demo-site-")
    workdir = None
    database_url = args.database_url
    if database_url is None:  # a fresh database: old open alerts would hide this run's
        workdir = tempfile.TemporaryDirectory(prefix="mineguard-demo-")
        database_url = f"sqlite:///{Path(workdir.name) / 'mineguard-demo.db'}"
    port = args.port or free_port()
    mqtt_url = f"mqtt://{args.mqtt[0]}:{args.mqtt[1]}" if args.mqtt else None
    try:
        site_file, sim = demo_site(args.site, sim, Path(sitedir.name), args.speed)
        settings = Settings(
            database_url=database_url,
            site_file=site_file,
            host=HOST,
            port=port,
            mqtt_url=mqtt_url,
            headcount_check_s=DEMO_HEADCOUNT_CHECK_S,
            risk_model=DEMO_RISK_MODEL,
            risk_check_s=DEMO_RISK_CHECK_S,
        )
        app = create_app(settings)
        password = app.state.admin_password or settings.admin_password
        if password is None:
            raise ValueError(
                f"{database_url} already has its super-manager and the demo does not know the password — "
                "set MINEGUARD_ADMIN_PASSWORD, or leave out --database-url for a fresh database"
            )
        with serving(app, HOST, port):
            if args.port is not None or args.open:
                if app.state.admin_password:
                    print(f"super-manager '{settings.admin_username}' password: {password!r}", file=sys.stderr)
                print(f"MineGuard API on http://{HOST}:{port} (docs at /docs)", file=sys.stderr)
            dashboard = f"http://{HOST}:{port}/dashboard/"
            print(f"dashboard: {dashboard}", file=sys.stderr)
            if args.open:
                open_dashboard(dashboard)
            print(f"database {database_url}", file=sys.stderr)
            with ServiceClient(f"http://{HOST}:{port}", settings.admin_username, password) as client:
                try:
                    publisher = MqttPublisher(*args.mqtt) if args.mqtt else BusPublisher(app.state.ctx.bus)
                except ServiceError as exc:
                    raise ValueError(str(exc)) from None
                box = (
                    None
                    if args.no_camera
                    else demo_camera(sim.site, f"http://{HOST}:{port}", settings.admin_username, password)
                )
                try:
                    code = drive(sim, client, publisher, args)
                finally:
                    if box is not None:
                        print(camera_summary(box.stop(), client.alerts()))
            if args.stay:
                stay_up(dashboard)
            return code
    finally:
        if workdir is not None:
            workdir.cleanup()
        sitedir.cleanup()


def open_dashboard(url: str) -> None:
    """Open the dashboard in the user's browser; a machine without one gets the address only."""
    import webbrowser

    try:
        opened = webbrowser.open(url, new=2)
    except webbrowser.Error:
        opened = False
    if not opened:
        print(f"no web browser found here: open {url} yourself", file=sys.stderr)


def stay_up(url: str) -> None:
    """Keep serving (the caller holds the server) until Ctrl-C."""
    print(f"the run is over; the dashboard stays up at {url} — Ctrl-C to stop", file=sys.stderr)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)


def demo_site(site: Path | None, sim, folder: Path, speed: float):
    """(the site file the service runs on, the simulation on it): with the scenario file's
    ``demo_shift``, a copy of the site whose shifts are that shift (written to ``folder``);
    without one, the site file as given."""
    from mineguard.mine.site import SAMPLE_SITE, load_site
    from mineguard.sim.demo_site import write_demo_site
    from mineguard.sim.script import SimConfig

    shift = sim.script.demo_shift
    if shift is None:
        return site, sim
    if site is None:
        text = resources.files("mineguard.mine").joinpath("sites").joinpath(SAMPLE_SITE).read_text(encoding="utf-8")
    else:
        text = site.read_text(encoding="utf-8")
    path = write_demo_site(text, shift, folder, start=datetime.now(UTC), speed=speed)
    copy = SimConfig(load_site(path), sim.script, sim.source)
    demo = copy.site.shifts[0]
    print(
        f"shift {demo.name!r} of {', '.join(demo.crews)}: ends at {demo.end:%H:%M:%S} ({copy.site.timezone}) "
        f"+ {demo.grace_minutes} min grace — site copy {path}",
        file=sys.stderr,
    )
    return path, copy


def demo_camera(site, url: str, username: str, password: str):
    """The demo's camera box: the site's first camera with a view plays the bundled underground clip
    through the bundled CC BY helmet model and sends what it sees to the service like a real camera
    box (HTTP, as the super-manager); None, with the reason printed, when something is missing."""
    from mineguard.edge.box import DEMO_CLIP, HELMET_MODEL, CameraBox, shipped
    from mineguard.edge.cameras import CameraPlan, build_watch
    from mineguard.edge.sink import ServiceSink, login_token
    from mineguard.runtime.predictor import load_predictor

    model, clip = shipped(HELMET_MODEL, "models"), shipped(DEMO_CLIP, "demo")
    camera = next((d for d in site.devices if d.kind == "camera" and d.view is not None and d.view.regions), None)
    if model is None or clip is None or camera is None:
        missing = "the helmet model" if model is None else "the demo clip" if clip is None else "a camera view"
        print(f"no demo camera: {missing} is not there", file=sys.stderr)
        return None
    watch = build_watch(CameraPlan(camera.id, camera.zone, str(clip), camera.view), load_predictor(model), loop=True)
    print(
        f"camera {camera.id}: {clip.name} through {model.name} (regions drawn: {len(camera.view.regions)})",
        file=sys.stderr,
    )
    sink = ServiceSink(url, token=login_token(url, username, password))
    return CameraBox([watch], sink, max_fps=DEMO_CAMERA_FPS).start()


def camera_summary(stats: dict, alerts: list[dict]) -> str:
    lines = ["camera box:"]
    for camera, s in stats.items():
        mean = s.mean_ms()
        lines.append(
            f"  {camera}: {s.frames} frames judged, {s.events} vision events"
            + (f", detector {mean['detect_ms']:.0f} ms/frame" if mean else "")
            + (f" — stopped: {s.error}" if s.error else "")
        )
    seen = [a for a in alerts if a.get("evidence", {}).get("media")]
    for alert in seen:
        media = alert["evidence"]["media"][0]
        lines.append(f"  alert {alert['rule_id']} ({alert['severity']}): snapshot {media.get('snapshot')}")
    if not seen:
        lines.append("  no alert with camera evidence")
    return "\n".join(lines)


def register(groups: argparse._SubParsersAction) -> None:
    p = groups.add_parser("demo", help="run the platform and the simulated mine's scenarios against it")
    p.add_argument("--port", type=int, help="serve the API on this port (default: a free one)")
    p.add_argument("--database-url", help="sqlite:///file.db or postgresql://... (default: a fresh temporary SQLite)")
    p.add_argument("--mqtt", type=host_port, metavar="HOST:PORT", help="readings over this MQTT broker (default: bus)")
    p.add_argument("--no-camera", action="store_true", help="leave out the demo camera (the bundled clip and model)")
    p.add_argument("--open", action="store_true", help="open the dashboard in the browser once the service is up")
    p.add_argument("--stay", action="store_true", help="keep the service and dashboard up after the run, until Ctrl-C")
    add_run_options(p)
    p.set_defaults(func=cmd_demo)
