"""faces.dlib_embed: dlib's descriptor behind the embedder interface (skips without ``mineguard[faces-dlib]``)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from mineguard.faces.dlib_embed import PRETRAINED, PretrainedUnavailable, is_pretrained, load_pretrained

HAS_DLIB = importlib.util.find_spec("dlib") is not None and importlib.util.find_spec("face_recognition_models")
needs_dlib = pytest.mark.skipif(
    not HAS_DLIB, reason='the optional extra is not installed: pip install "mineguard[faces-dlib]"'
)


def test_names_and_an_unknown_name():
    assert is_pretrained("dlib") and is_pretrained("dlib-dedust") and not is_pretrained("runs/best.pt")
    with pytest.raises(ValueError, match="dlib, dlib-dedust"):
        load_pretrained("facenet")


@pytest.mark.parametrize("absent", ["dlib", "face_recognition_models"])
def test_without_the_extra_the_error_says_what_to_install(monkeypatch, absent):
    real = importlib.util.find_spec
    extra = ("dlib", "face_recognition_models")

    def find_spec(name, *args):  # the other package of the extra present, whether installed here or not
        if name in extra:
            return None if name == absent else object()
        return real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(PretrainedUnavailable, match=rf"needs {absent}: .*mineguard\[faces-dlib\]"):
        load_pretrained("dlib")


@needs_dlib
@pytest.mark.parametrize("name", list(PRETRAINED))
def test_unit_embeddings_same_face_closer_than_another(draw_face, name):
    embedder = load_pretrained(name)
    assert embedder.illumination == PRETRAINED[name] and embedder.dim == 128
    a, b = draw_face(112, seed=0), draw_face(112, seed=1)  # the same drawing, other sensor noise
    other = np.ascontiguousarray(draw_face(112, seed=0, skin=120)[:, ::-1][::-1])  # upside down, darker
    bgr = np.repeat(a[:, :, None], 3, axis=2)
    emb = embedder.embed([a, b, other, bgr])
    assert emb.shape == (4, 128) and emb.dtype == np.float32
    assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    assert emb[0] @ emb[1] > emb[0] @ emb[2]
    assert np.allclose(emb[0], emb[3], atol=1e-5)
    assert embedder.embed([]).shape == (0, 0)
