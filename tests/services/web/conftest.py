"""A real service on loopback, its users and gateway, and Debian's chromium driven by Playwright.

The browser tests skip, with the reason, where ``/usr/bin/chromium`` or the ``playwright`` package
is missing (``.ci/run`` installs the one, the ``dev`` extra the other; see ``require_browser``).
Never ``playwright install``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import numpy as np
import pytest

from local_service import local_service
from mineguard.mine.graph import ZoneGraph
from mineguard.services.twin.motion import generate_accel

CHROMIUM = Path("/usr/bin/chromium")

USERS = {
    "operator": {"username": "op1", "password": "operator-password", "crew": "crew-a", "asset_id": "miner-001"},
    "supervisor": {"username": "sup-a", "password": "supervisor-password", "crew": "crew-a", "asset_id": "miner-003"},
}
BARCODE = "6901234500011"  # tag-0001, paired to miner-001 (Li Wei)


def require_browser() -> None:
    """Skip the calling test module, with the reason, without Debian's chromium or the playwright package."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing — install Debian's chromium (.ci/run does)", allow_module_level=True)
    pytest.importorskip("playwright.sync_api", reason="the playwright package is missing — pip install -e '.[dev]'")


@dataclass
class Mine:
    """The running service, an HTTP client as its super-manager, and the face gateway's headers."""

    url: str
    admin: tuple[str, str]
    http: httpx.Client
    gateway: dict[str, str]
    passwords: dict[str, str] = field(default_factory=dict)


@contextmanager
def running_mine(folder: Path, **settings) -> Iterator[Mine]:
    """The service (``settings`` override its Settings) with the test users, the face gateway and tag-0001 paired."""
    with local_service(folder, **settings) as service, httpx.Client(base_url=service.url) as http:
        login = {"username": service.username, "password": service.password}
        token = http.post("/api/v1/auth/token", json=login).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        for role, user in USERS.items():
            created = http.post("/api/v1/users", json={**user, "role": role})
            assert created.status_code == 201, created.text
        secret = http.post("/api/v1/gateways/gw-faces/register").json()["secret"]
        paired = http.post("/api/v1/tags/pair", json={"barcode": BARCODE, "asset_id": "miner-001", "force": True})
        assert paired.status_code == 200, paired.text
        yield Mine(
            service.url,
            (service.username, service.password),
            http,
            {"X-Gateway-Id": "gw-faces", "X-Gateway-Secret": secret},
        )


@pytest.fixture(scope="module")
def mine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mine]:
    with running_mine(tmp_path_factory.mktemp("dashboard")) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright  # the test modules skip first where it is missing

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser) -> Iterator:
    """A fresh tab (its own sessionStorage) at the control room's size, 1280 x 800."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the views' screenshots go (test artefacts, kept with pytest's tmp folders)."""
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(autouse=True)
def no_script_errors(page) -> Iterator[None]:
    """Every browser test also fails on an uncaught error in the page's scripts."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield
    assert not errors, errors


def log_in(page, mine: Mine, username: str, password: str) -> None:
    from playwright.sync_api import expect

    page.goto(mine.url)  # / redirects to /dashboard/
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#live")).to_have_attribute("data-state", "live")


def as_role(page, mine: Mine, role: str) -> None:
    log_in(page, mine, USERS[role]["username"], USERS[role]["password"])


def tag_fix(zone: str, t: datetime, graph: ZoneGraph, barcode: str = BARCODE) -> dict:
    """A gateway reading: the tag ``barcode`` halfway along ``zone`` at ``t``, walking."""
    x, y, z = graph.point_along(zone, 0.5)
    accel = np.round(generate_accel("walking", seconds=8.4, rate_hz=25.0, seed=int(t.timestamp())), 4).tolist()
    fix = {"barcode": barcode, "t": t.isoformat(), "x_m": x, "y_m": y, "z_m": z}
    return fix | {"accel_g": accel, "rate_hz": 25.0}
