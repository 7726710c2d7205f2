"""The OpenAPI document declares how each operation authenticates, and the service agrees (issue 21).

The schemes (``userToken``, ``gatewayId`` + ``gatewaySecret``, ``gatewaySecret`` alone under
``/api/v1/gateways/{gateway_id}/``) come from the dependencies the routes read their credentials
through (``api/auth_schemes.py``). Here every operation is called for real: a public one answers
without credentials and declares no security; any other answers 401 without them, opens to each
way its ``security`` declares and refuses (401) the ways it does not.
"""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import Depends, FastAPI

from mineguard.services.api.auth_schemes import (
    accepts,
    declare_security,
    gateway_id_key,
    gateway_secret_key,
    user_token,
)

from .conftest import ADMIN_PASSWORD, Api, login
from .test_role_matrix import MATRIX, PUBLIC

GATEWAY = "gw-faces"  # a gateway of the bundled sample mine
ROWS = [pytest.param(*row, id=f"{row[0]} {row[1]}") for row in MATRIX]
NOT_PUBLIC = [pytest.param(*row, id=f"{row[0]} {row[1]}") for row in MATRIX if row[4] != PUBLIC]
# each way a caller can present itself, as the schemes it sends
WAYS = {
    "user token": frozenset({"userToken"}),
    "gateway id and secret": frozenset({"gatewayId", "gatewaySecret"}),
    "gateway secret": frozenset({"gatewaySecret"}),
}


@pytest.fixture(scope="module")
def spec(shared_api: Api) -> dict:
    return shared_api.client.get("/openapi.json").json()


@pytest.fixture(scope="module")
def credentials(shared_api: Api) -> dict[str, dict[str, str]]:
    """The headers of each way, valid: the super-manager's token (who may call every user route) and
    the registered gateway's id and secret."""
    secret = shared_api.call("manager", "POST", f"/api/v1/gateways/{GATEWAY}/register").json()["secret"]
    return {
        "user token": shared_api.headers("super_manager"),
        "gateway id and secret": {"X-Gateway-Id": GATEWAY, "X-Gateway-Secret": secret},
        "gateway secret": {"X-Gateway-Secret": secret},
    }


def declared(spec: dict, method: str, template: str) -> list[frozenset[str]]:
    return [frozenset(requirement) for requirement in spec["paths"][template][method.lower()].get("security", [])]


def test_the_schemes_declared_are_the_ones_operations_use(spec: dict) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert schemes["userToken"] | {"description": ""} == {"type": "http", "scheme": "bearer", "description": ""}
    for name, header in (("gatewayId", "X-Gateway-Id"), ("gatewaySecret", "X-Gateway-Secret")):
        assert (schemes[name]["type"], schemes[name]["in"], schemes[name]["name"]) == ("apiKey", "header", header)
    used = {
        name
        for item in spec["paths"].values()
        for op in item.values()
        for req in op.get("security", [])
        for name in req
    }
    assert used == set(schemes)
    headers = {
        p["name"].lower() for item in spec["paths"].values() for op in item.values() for p in op.get("parameters", [])
    }
    assert not headers & {"authorization", "x-gateway-id", "x-gateway-secret"}  # schemes, not plain parameters


@pytest.mark.parametrize(("method", "template", "path", "body", "allowed"), ROWS)
def test_only_public_operations_declare_no_security(
    shared_api: Api, spec: dict, method: str, template: str, path: str, body, allowed
) -> None:
    security = declared(spec, method, template)
    answer = shared_api.client.request(method, path, json=body)  # no credentials at all
    if allowed == PUBLIC:
        assert security == [] and "not logged in" not in answer.text, answer.text  # (a login's 401: its password)
    else:
        assert security and answer.status_code == 401, (security, answer.text)
        assert all(requirement for requirement in security)  # no empty alternative (that would make it optional)


@pytest.mark.parametrize(("method", "template", "path", "body", "allowed"), NOT_PUBLIC)
def test_a_declared_way_opens_an_operation_and_any_other_is_refused(
    shared_api: Api, spec: dict, credentials: dict, method: str, template: str, path: str, body, allowed
) -> None:
    security = declared(spec, method, template)
    for way, sends in WAYS.items():
        headers = credentials[way]
        if way == "user token" and template.endswith("/logout"):  # logging out revokes the token it is sent with
            headers = {"Authorization": f"Bearer {login(shared_api.client, 'admin', ADMIN_PASSWORD)}"}
        answer = shared_api.client.request(method, path, json=body, headers=headers)
        if any(requirement <= sends for requirement in security):
            assert answer.status_code not in (401, 403), f"{way}: {answer.status_code} {answer.text}"
        else:
            assert answer.status_code == 401, f"{way} is not declared, yet: {answer.status_code} {answer.text}"


Token = Annotated[object, Depends(user_token)]
Id, Secret = Annotated[object, Depends(gateway_id_key)], Annotated[object, Depends(gateway_secret_key)]


@accepts((user_token,), (gateway_id_key, gateway_secret_key))
def person_or_box(token: Token, box: Id, secret: Secret) -> None: ...


@accepts((user_token,))
def person(token: Token) -> None: ...


@accepts((gateway_secret_key,))
def box_by_path(secret: Secret) -> None: ...


@accepts((user_token,), (gateway_id_key, gateway_secret_key))
def lying(token: Token) -> None: ...  # names gateway schemes it never reads


def test_security_is_derived_from_the_dependencies() -> None:
    """Alternatives stay apart, schemes sent together stay together, two authenticating dependencies
    are both needed, a public route declares nothing, and an ``@accepts`` that names schemes its
    dependency does not read stops the document from being built."""
    app = FastAPI()
    app.get("/either", dependencies=[Depends(person_or_box)])(lambda: None)
    app.get("/person", dependencies=[Depends(person), Depends(user_token)])(lambda: None)  # reads its token again
    app.get("/both", dependencies=[Depends(person), Depends(box_by_path)])(lambda: None)
    app.get("/public")(lambda: None)
    declare_security(app)
    security = {path: item["get"].get("security") for path, item in app.openapi()["paths"].items()}
    assert security == {
        "/either": [{"gatewayId": [], "gatewaySecret": []}, {"userToken": []}],
        "/person": [{"userToken": []}],
        "/both": [{"gatewaySecret": [], "userToken": []}],
        "/public": None,
    }

    wrong = FastAPI()
    wrong.get("/lying", dependencies=[Depends(lying)])(lambda: None)
    declare_security(wrong)
    with pytest.raises(RuntimeError, match=r"lying accepts \['gatewayId', 'gatewaySecret', 'userToken'\] but reads"):
        wrong.openapi()
