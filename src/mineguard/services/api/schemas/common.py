"""What every resource shares: the ``In``/``Out`` bases, the strict :data:`Number` and :data:`Metres`,
the base of a tracked entity (asset, device), a refused batch item, and the OpenAPI body of a
raw-read batch route.

Numbers and booleans in requests are strict, the one way: a number field takes a JSON number
(:data:`Number`, :class:`~pydantic.StrictInt`), a boolean field ``true``/``false``
(:class:`~pydantic.StrictBool`). ``false`` is not 0, ``"3"`` is not 3, ``1`` is not ``true``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

# A finite JSON number (an int is fine). Finiteness is a constraint of the float itself, not a validator
# after it: bounds added on top (``Field(ge=...)``) then reach the OpenAPI schema as minimum/maximum
# (behind an AfterValidator pydantic wrote them as unknown "ge"/"le" keys, which no client reads).
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Metres = Annotated[Number, Field(ge=-5000, le=5000)]


class In(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    """A response body, read from an ORM row or any object with these attributes."""

    model_config = ConfigDict(from_attributes=True)


class TrackedOut(Out):
    id: str
    kind: str
    x: float | None
    y: float | None
    z: float | None
    zone_id: str | None
    state: dict[str, Any]
    updated_at: datetime | None


class RejectOut(Out):
    index: int | None = Field(description="position in the batch; null for the whole body")
    reason: str
    detail: str
    device_id: str | None
    seq: int | None


def _inline_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` (a pydantic JSON schema) with each ``{"$ref": "#/$defs/X"}`` replaced by X itself: inside
    the OpenAPI document such a ref points at the document's root, where there is no ``$defs``."""
    defs = schema.get("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items() if key != "$defs"}
        if isinstance(node, list):
            return [inline(value) for value in node]
        return node

    return inline(schema)


def batch_request_body(key: str, item: dict[str, Any], max_items: int) -> dict[str, Any]:
    """OpenAPI request body of a raw-read batch route: ``{key: [item, ...]}`` or a bare array of items."""
    array = {"type": "array", "items": _inline_defs(item), "maxItems": max_items}
    wrapped = {"type": "object", "properties": {key: array}, "required": [key], "additionalProperties": False}
    return {"required": True, "content": {"application/json": {"schema": {"oneOf": [wrapped, array]}}}}
