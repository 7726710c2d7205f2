"""schemathesis against the service's own OpenAPI document (issue 21, hostile input).

A real app on a temporary SQLite database is driven through its ASGI interface with requests
generated from ``/openapi.json``: valid ones (positive), invalid ones (negative: wrong types, out
of range, missing fields, bodies that are not JSON) and sequences that follow the links
schemathesis infers between operations (stateful: a created user's id into its role change, an
alert's id into its acknowledgement). Every answer must be one the operation declares, with the
body its schema says, and none may be a 500. Callers present themselves the ways the document's
security schemes say: the super-manager's token (who may call almost every route) on most
requests, a registered gateway's secret (and id) on the operations that declare them, nothing on
the rest; schemathesis' ignored_auth check also sends each without credentials and with wrong ones
and expects a 401.

Measured on the 2-core CI machine (shared with other work), 2026-12-06: 25,881 requests (the
ignored_auth probes included) in 278 s wall time. Reproduce: ``pytest tests/services/api/test_fuzz.py -s``
(prints the count and time); a longer hunt for defects: ``MINEGUARD_FUZZ_EXAMPLES=350 pytest ...`` (examples per
operation and mode; 70 by default); run 2026-12-07 with 300: 115,573 requests in 1,302 s, no failure.
The WebSocket ``/api/v1/stream`` is not in the OpenAPI document, so
schemathesis cannot drive it (tests/services/api/test_stream.py covers it).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

schemathesis = pytest.importorskip("schemathesis")  # the dev extra; never imported by mineguard itself

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.errors import FlakyStrategyDefinition, Unsatisfiable  # noqa: E402
from hypothesis.stateful import run_state_machine_as_test  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.python import asgi  # noqa: E402
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance  # noqa: E402

from mineguard.services.auth.users import issue_token  # noqa: E402
from mineguard.services.settings import Settings  # noqa: E402

from .conftest import ADMIN_PASSWORD  # noqa: E402

pytestmark = pytest.mark.slow

# Examples per operation and generation mode. 74 operations x (positive + negative) x FUZZ_EXAMPLES,
# plus the anonymous and stateful runs, make the >= 10,000 requests the issue asks for.
FUZZ_EXAMPLES = int(os.environ.get("MINEGUARD_FUZZ_EXAMPLES", "70"))  # a longer hunt: MINEGUARD_FUZZ_EXAMPLES=350
ANONYMOUS_EXAMPLES = 10
STATEFUL_EXAMPLES, STATEFUL_STEPS, STATEFUL_SESSIONS = 50, 10, 3
MIN_REQUESTS = 10_000
GATEWAY = "gw-faces"  # a gateway of the bundled sample mine

# Checks that do not fit what this API promises, with why:
# - "schema-valid data is accepted": the API also validates what JSON Schema cannot say (a unit valid
#   for the sensor kind, the rule-id grammar and levels rising with severity, an end after its start,
#   whole numbers written without a fraction, as the strict number parsing wants) and answers 422
#   naming the field and the fix; every operation declares that 422 and its body is still checked.
# - "schema-violating data is refused" on the batch ingest routes: by design they answer 200 with a
#   report per item whenever the batch could be read, a bad item rejected and kept with its reason
#   (services/api/routes/readings.py), so a sender never resends the good ones.
BATCH_ROUTES = (("POST", "/api/v1/readings"), ("POST", "/api/v1/events"))
OFF = {"enabled": False}

# A request with an unknown query parameter or header is not invalid data: HTTP clients, proxies and
# browsers add their own, and the API (FastAPI) ignores what a route does not declare, as the OpenAPI
# document does not forbid them. So schemathesis generates none.
CONFIG = {
    "generation": {"allow-extra-parameters": False},
    "checks": {"positive_data_acceptance": OFF},
    "operations": [
        {"include-method": method, "include-path": path, "checks": {"negative_data_rejection": OFF}}
        for method, path in BATCH_ROUTES
    ],
}

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

        schema.auth(refresh_interval=None)(SuperManager)  # registers it (schema.auth(cls) would only make a decorator)
    return schema


def _property(operation, mode: GenerationMode, examples: int, pinned: dict):
    """The hypothesis test of one operation in one generation mode."""
    batch = operation.label in {f"{method} {path}" for method, path in BATCH_ROUTES}
    excluded = [positive_data_acceptance, *([negative_data_rejection] if batch else [])]  # as CONFIG says

    @given(case=operation.as_strategy(generation_mode=mode, **pinned))
    @settings(SETTINGS, max_examples=examples)
    def check(case) -> None:
        case.call_and_validate(excluded_checks=excluded)

    return check


def _fuzz(schema, modes: list[GenerationMode], examples: int, **pinned) -> list[str]:
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in modes:
            try:
                _property(operation, mode, examples, pinned)()
            except Unsatisfiable:  # nothing about this operation can be invalid (e.g. no parameters)
                continue
            except BaseException as exc:  # schemathesis' FailureGroup is an exception group
                if isinstance(exc, KeyboardInterrupt):
                    raise
                failures.append(f"{operation.label} ({mode.value}):\n{exc}")
    return failures


def _fuzz_as_gateway(target: Target) -> list[str]:
    """The routes a gateway may call, as the registered gateway: its secret on the routes whose path
    names it, its id and secret on the shared ones; chosen by the security each operation declares,
    the headers set as schemathesis auth, so its ignored_auth check also sends them missing and wrong."""
    client, base = _client(target.counted), f"http://{asgi.HOST}/api/v1/gateways/{GATEWAY}"
    answer = client.post(f"{base}/register", headers={"Authorization": f"Bearer {target.token}"})
    assert answer.status_code == 201, answer.text
    secret = {"X-Gateway-Secret": answer.json()["secret"]}
    failures = []
    for sends in ({"gatewaySecret"}, {"gatewayId", "gatewaySecret"}):
        headers = {**secret, "X-Gateway-Id": GATEWAY} if "gatewayId" in sends else secret

        def declares(ctx, sends=frozenset(sends)) -> bool:
            return any(set(requirement) == sends for requirement in ctx.operation.definition.raw.get("security", []))

        class Gateway:
            def get(self, case, ctx, headers=headers) -> dict[str, str]:
                return headers

            def set(self, case, data: dict[str, str], ctx) -> None:
                case.headers = {**(case.headers or {}), **data}

        schema = _schema(target, logged_in=False)
        schema.auth(refresh_interval=None)(Gateway)
        schema = schema.include(declares)
        pinned = {"path_parameters": {"gateway_id": GATEWAY}} if "gatewayId" not in sends else {}
        failures += _fuzz(schema, [GenerationMode.POSITIVE], FUZZ_EXAMPLES, **pinned)
    return failures


def _fuzz_stateful(target: Target) -> list[str]:
    """Sequences that follow the links between operations, as the super-manager.

    What a scenario draws depends on the service's answers (a created user's id), so when hypothesis
    replays one against a service whose state has moved on it can draw differently and stop with
    "inconsistent data generation" although nothing failed; like schemathesis' own runner, fuzzing
    then goes on in a fresh session. A failing answer is always reported, as it was first seen.
    """
    failing: list[str] = []

    class Machine(_schema(target, logged_in=True).as_state_machine()):
        def validate_response(self, response, case, *args, **kwargs) -> None:
            try:
                super().validate_response(response, case, *args, **kwargs)
            except BaseException as exc:
                failing.append(f"{case.operation.label} -> {response.status_code}:\n{exc}")
                raise

    run = settings(SETTINGS, max_examples=STATEFUL_EXAMPLES, stateful_step_count=STATEFUL_STEPS)
    for _ in range(STATEFUL_SESSIONS):
        try:
            run_state_machine_as_test(Machine, settings=run)
        except FlakyStrategyDefinition:
            if failing:
                return [f"stateful: {failing[0]}"]
            continue
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            return [f"stateful: {failing[0] if failing else exc}"]
        break
    return []


def test_fuzz_the_openapi(target: Target) -> None:
    started, before = time.monotonic(), target.counted.requests
    failures = _fuzz(_schema(target, logged_in=True), [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], FUZZ_EXAMPLES)
    failures += _fuzz(_schema(target, logged_in=False), [GenerationMode.POSITIVE], ANONYMOUS_EXAMPLES)
    failures += _fuzz_as_gateway(target)
    failures += _fuzz_stateful(target)
    sent, seconds = target.counted.requests - before, time.monotonic() - started
    print(f"schemathesis: {sent} requests in {seconds:.0f} s")
    assert not failures, f"{len(failures)} operations failed:\n\n" + "\n\n".join(failures)
    assert sent >= MIN_REQUESTS, f"only {sent} requests — raise FUZZ_EXAMPLES"
