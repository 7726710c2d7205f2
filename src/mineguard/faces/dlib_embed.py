"""dlib's pre-trained face descriptor behind the embedder interface (optional extra ``mineguard[faces-dlib]``).

dlib's ResNet (128-d, trained by dlib on ~3 M faces) and its 5-point landmark model ship inside the
PyPI package ``face_recognition_models`` (LICENSE: CC0 1.0; the two model files used are dlib's own
CC0 models — the package's 68-point predictor, built on iBUG 300-W, is not used); ``dlib-bin``
(Boost Software License) runs them. No hub download: the weights are in the wheel.

``load_pretrained("dlib")`` / ``("dlib-dedust")`` gives a :class:`DlibEmbedder` whose
``illumination`` (``"none"`` / ``"dedust"``) is the preparation step gallery and probes get
(``FacePreparer(illumination=embedder.illumination)``); ``embed(crops) -> (N, 128)`` float32 unit
vectors, like ``faces.embed.FaceEmbedder``. Without the extra, :class:`PretrainedUnavailable`
says what to install.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mineguard.faces.gallery import l2_normalise
from mineguard.faces.illumination import check_method
from mineguard.faces.image import to_grey

#: Named pre-trained embedders (``--weights NAME``) -> the preparation step their crops get.
PRETRAINED: dict[str, str] = {"dlib": "none", "dlib-dedust": "dedust"}
MODEL_FILES = ("shape_predictor_5_face_landmarks.dat", "dlib_face_recognition_resnet_model_v1.dat")
INSTALL_HINT = 'pip install "mineguard[faces-dlib]"'


class PretrainedUnavailable(ValueError):
    """A named pre-trained embedder whose optional packages are not installed."""


def dlib_model_files() -> tuple[Path, Path]:
    """The landmark and descriptor model files of ``face_recognition_models``; raises without the extra."""
    if importlib.util.find_spec("dlib") is None:
        raise PretrainedUnavailable(f"the dlib face embedder needs dlib: {INSTALL_HINT}")
    spec = importlib.util.find_spec("face_recognition_models")  # its __init__ needs pkg_resources: not imported
    if spec is None or not spec.submodule_search_locations:
        raise PretrainedUnavailable(f"the dlib face embedder needs face_recognition_models: {INSTALL_HINT}")
    models = Path(spec.submodule_search_locations[0]) / "models"
    files = (models / MODEL_FILES[0], models / MODEL_FILES[1])
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise PretrainedUnavailable(
            f"face_recognition_models lacks {', '.join(missing)}: reinstall it ({INSTALL_HINT})"
        )
    return files


class DlibEmbedder:
    """dlib's 128-d descriptor of an aligned crop: the 5 landmarks are found inside the whole crop,
    then dlib cuts its own 150 px chip. ``img_size``: the crop size to prepare (any size works)."""

    def __init__(self, *, illumination: str = "none", img_size: int = 112) -> None:
        landmarks, net = dlib_model_files()  # first: without the extra, say what to install
        import dlib

        self.illumination, self.img_size = check_method(illumination), img_size
        self._dlib = dlib
        self._landmarks = dlib.shape_predictor(str(landmarks))
        self._net = dlib.face_recognition_model_v1(str(net))
        self.model_mb = (landmarks.stat().st_size + net.stat().st_size) / 2**20

    @property
    def dim(self) -> int:
        return 128

    def embed(self, faces: Sequence[np.ndarray]) -> np.ndarray:
        """(N,) grey or BGR uint8 crops -> (N, 128) float32 unit vectors ((0, 0) for no crops)."""
        if len(faces) == 0:
            return np.zeros((0, 0), np.float32)
        out = []
        for face in faces:
            grey = to_grey(face)
            rgb = np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
            box = self._dlib.rectangle(0, 0, grey.shape[1] - 1, grey.shape[0] - 1)
            shape = self._landmarks(rgb, box)
            out.append(np.asarray(self._net.compute_face_descriptor(rgb, shape), np.float32))
        return l2_normalise(np.stack(out)).astype(np.float32)


def is_pretrained(name: str | Path) -> bool:
    return str(name) in PRETRAINED


def load_pretrained(name: str) -> DlibEmbedder:
    """The named pre-trained embedder; ``ValueError`` for an unknown name, :class:`PretrainedUnavailable`
    when its optional extra is not installed."""
    if name not in PRETRAINED:
        raise ValueError(f"unknown pre-trained face embedder {name!r}; use one of {', '.join(PRETRAINED)}")
    return DlibEmbedder(illumination=PRETRAINED[name])
