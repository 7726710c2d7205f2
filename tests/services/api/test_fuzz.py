"""schemathesis against the service's own OpenAPI document (issue 21, hostile input).

A real app on a temporary SQLite database is driven through its ASGI interface with requests
generated from ``/openapi.json``: valid ones (positive), invalid ones (negative: wrong types, out
of range, missing fields, bodies that are not JSON) and sequences that follow the links
schemathesis infers between operations (stateful: a created user's id into its role change, an
alert's id into its acknowledgement). Every answer must be one the operation declares, with the
body its schema says, and none may be a 500. The super-manager (who may call almost every route)
sends most requests; an anonymous caller sends the rest.

Measured on the 2-core CI machine (shared with other work): 10,456 requests in 267 s wall time
(162 s of CPU). Reproduce: ``pytest tests/services/api/test_fuzz.py -s`` (prints the count and time).
The WebSocket ``/api/v1/stream`` is not in the OpenAPI document, so schemathesis cannot drive it
(tests/services/api/test_stream.py covers it).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

schemathesis = pytest.importorskip("schemathesis")  # the dev extra; never imported by mineguard itself

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from hypothesis.stateful import run_state_machine_as_test  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.python import asgi  # noqa: E402
from schemathesis.specs.openapi.checks import ignored_auth  # noqa: E402

from mineguard.services.auth.users import issue_token  # noqa: E402
from mineguard.services.settings import Settings  # noqa: E402

from .conftest import ADMIN_PASSWORD  # noqa: E402

pytestmark = pytest.mark.slow

# Examples per operation and generation mode. 74 operations x (positive + negative) x FUZZ_EXAMPLES,
# plus the anonymous and stateful runs, make the >= 10,000 requests the issue asks for.
FUZZ_EXAMPLES = 70
ANONYMOUS_EXAMPLES = 10
STATEFUL_EXAMPLES, STATEFUL_STEPS = 50, 10
MIN_REQUESTS = 10_000
GATEWAY = "gw-faces"  # a gateway of the bundled sample mine

# A request with an unknown query parameter or header is not invalid data: HTTP clients, proxies and
# browsers add their own, and the API (FastAPI) ignores what a route does not declare, as the OpenAPI
# document does not forbid them. So schemathesis generates none.
CONFIG = {"generation": {"allow-extra-parameters": False}}

SETTINGS = settings(
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as generated
    suppress_health_check=list(HealthCheck),
)

# JPEG, PNG and MP4 evidence is recognised by its first bytes (evidence/store.py): a valid body is
# any bytes after the right signature, which an OpenAPI schema cannot say ("format: binary").
SIGNATURES = {
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "video/mp4": b"\x00\x00\x00\x18ftypmp42",
}
for media, signature in SIGNATURES.items():
    schemathesis.openapi.media_type(media, st.binary(min_size=1, max_size=256).map(lambda b, s=signature: s + b))


class CountedApp:
    """The app, counting the HTTP requests that reach it (the fuzzer's own count is per operation)."""

    def __init__(self, app) -> None:
        self.app, self.requests = app, 0

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            self.requests += 1
        await self.app(scope, receive, send)


@dataclass
class Target:
    app: object
    counted: CountedApp
    token: str
    spec: dict
    failures: list[str] = field(default_factory=list)


def _client(app):
    return asgi.get_client(app)


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    from mineguard.services.api.main import create_app

    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'db.sqlite'}"
    # a refused login answers at once (the tarpit would spend the run asleep); logins stay throttled
    app = create_app(Settings(database_url=url, admin_password=ADMIN_PASSWORD, login_refusal_delay_s=0))
    counted = CountedApp(app)
    client = _client(counted)
    base = f"http://{asgi.HOST}"
    answer = client.post(f"{base}/api/v1/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert answer.status_code == 200, answer.text
    spec = client.get(f"{base}/openapi.json").json()
    try:
        yield Target(app, counted, answer.json()["access_token"], spec)
    finally:
        asgi.shutdown_lifespans()  # schemathesis started the app's lifespan (its background services)
        app.state.ctx.engine.dispose()


def _schema(target: Target, *, logged_in: bool):
    schema = schemathesis.openapi.from_dict(target.spec, config=schemathesis.Config.from_dict(CONFIG))
    schema.app = target.counted
    if logged_in:
        token = target.token

        def fresh_token() -> str:  # logout revokes the token it is called with: give it its own
            ctx = target.app.state.ctx  # not over HTTP: the fuzzed logins lock the test client's address out
            with ctx.sessions() as session, session.begin():
                return issue_token(session, "admin", ADMIN_PASSWORD, ctx.settings.token_ttl_s).token

        class SuperManager:
            def get(self, case, ctx) -> str:
                return fresh_token() if ctx.operation.path == "/api/v1/auth/logout" else token

            def set(self, case, data: str, ctx) -> None:
                case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

        schema.auth(SuperManager, refresh_interval=None)
    return schema


def _fuzz(schema, modes: list[GenerationMode], examples: int, excluded: tuple = (), **pinned) -> list[str]:
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in modes:

            @given(case=operation.as_strategy(generation_mode=mode, **pinned))
            @settings(SETTINGS, max_examples=examples)
            def check(case) -> None:
                case.call_and_validate(excluded_checks=list(excluded))

            try:
                check()
            except Unsatisfiable:  # nothing about this operation can be invalid (e.g. no parameters)
                continue
            except BaseException as exc:  # schemathesis' FailureGroup is an exception group
                if isinstance(exc, KeyboardInterrupt):
                    raise
                failures.append(f"{operation.label} ({mode.value}):\n{exc}")
    return failures


def _fuzz_as_gateway(target: Target, schema) -> list[str]:
    """The routes a gateway calls with its secret, as the registered gateway (else every call is a 401)."""
    client, base = _client(target.counted), f"http://{asgi.HOST}/api/v1/gateways/{GATEWAY}"
    answer = client.post(f"{base}/register", headers={"Authorization": f"Bearer {target.token}"})
    assert answer.status_code == 201, answer.text
    secret = {"x-gateway-secret": answer.json()["secret"]}
    failures = []
    for path_name, in_header in (True, False), (False, True):

        def takes_gateway(ctx, path_name=path_name) -> bool:
            names = {p["name"] for p in ctx.operation.definition.raw.get("parameters", [])}
            return "x-gateway-secret" in names and ("gateway_id" in names) is path_name

        pinned = {"path_parameters": {"gateway_id": GATEWAY}} if path_name else {}
        headers = {**secret, "x-gateway-id": GATEWAY} if in_header else secret
        # The gateway headers are plain header parameters in the OpenAPI document, not a security scheme, so
        # schemathesis' ignored_auth check takes these (gateway-authenticated) calls for unauthenticated ones.
        failures += _fuzz(
            schema.include(takes_gateway),
            [GenerationMode.POSITIVE],
            FUZZ_EXAMPLES,
            excluded=(ignored_auth,),
            headers=headers,
            **pinned,
        )
    return failures


def test_fuzz_the_openapi(target: Target) -> None:
    started, before = time.monotonic(), target.counted.requests
    failures = _fuzz(_schema(target, logged_in=True), [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], FUZZ_EXAMPLES)
    failures += _fuzz(_schema(target, logged_in=False), [GenerationMode.POSITIVE], ANONYMOUS_EXAMPLES)
    failures += _fuzz_as_gateway(target, _schema(target, logged_in=False))
    machine = _schema(target, logged_in=True).as_state_machine()
    try:
        run_state_machine_as_test(
            machine,
            settings=settings(SETTINGS, max_examples=STATEFUL_EXAMPLES, stateful_step_count=STATEFUL_STEPS),
        )
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        failures.append(f"stateful:\n{exc}")
    sent, seconds = target.counted.requests - before, time.monotonic() - started
    print(f"schemathesis: {sent} requests in {seconds:.0f} s")
    assert not failures, f"{len(failures)} operations failed:\n\n" + "\n\n".join(failures)
    assert sent >= MIN_REQUESTS, f"only {sent} requests — raise FUZZ_EXAMPLES"
