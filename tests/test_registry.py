"""The shared name -> builder registry behind risk models, forecasters and hazard models."""

from __future__ import annotations

import pytest

from mineguard.registry import Registry


def test_register_build_and_list() -> None:
    things = Registry[dict]("thing")

    @things.register("b")
    def b(**kw: object) -> dict:
        return {"b": kw}

    things.register("a")(lambda **kw: {"a": kw})
    assert things.names() == ["a", "b"]
    assert things.build("b", x=1) == {"b": {"x": 1}}
    with pytest.raises(ValueError, match="unknown thing 'c' — choose one of: a, b"):
        things.build("c")
    with pytest.raises(ValueError, match="thing 'a' is registered twice"):
        things.register("a")(b)


def test_names_by_tag() -> None:
    things = Registry[int]("thing")
    things.register("x", task="detect")(lambda: 1)
    things.register("y", task="face")(lambda: 2)
    things.register("z")(lambda: 3)
    assert things.names() == ["x", "y", "z"]
    assert things.names(task="face") == ["y"]
    assert things.names(task="none") == []
