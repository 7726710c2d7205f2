"""Face embedders that are not trained here, behind the benchmarks' one interface ``embed(faces) -> (N, D)``.

``pixels`` is a no-learning reference (the aligned crop downsampled to 23x28, mean-removed);
``DlibEmbedder`` is dlib's ResNet face descriptor shipped in ``face_recognition_models`` (bench extra
``bench-faces``; the two model files used are dlib's, CC0 1.0 as the package's LICENSE says).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np

from mineguard.faces.gallery import l2_normalise


def pixels(faces) -> np.ndarray:
    v = np.stack([cv2.resize(f, (23, 28), interpolation=cv2.INTER_AREA).ravel().astype(np.float32) for f in faces])
    return l2_normalise(v - v.mean(1, keepdims=True))


class DlibEmbedder:
    """dlib's 128-d face descriptor (``face_recognition_models``' ResNet, trained by dlib on ~3M faces)
    on our aligned crop: the 5-point landmarks are found inside the whole crop, then dlib aligns its chip."""

    def __init__(self) -> None:
        import dlib

        spec = importlib.util.find_spec("face_recognition_models")  # its __init__ needs pkg_resources: not imported
        if spec is None or not spec.submodule_search_locations:
            raise SystemExit('dlib peer: pip install -e ".[bench-faces]" first')
        models = Path(spec.submodule_search_locations[0]) / "models"
        files = (models / "shape_predictor_5_face_landmarks.dat", models / "dlib_face_recognition_resnet_model_v1.dat")
        self.dlib = dlib
        self.landmarks = dlib.shape_predictor(str(files[0]))
        self.net = dlib.face_recognition_model_v1(str(files[1]))
        self.model_mb = sum(f.stat().st_size for f in files) / 2**20

    def embed(self, faces) -> np.ndarray:
        out = []
        for face in faces:
            rgb = np.ascontiguousarray(np.repeat(face[:, :, None], 3, axis=2))
            box = self.dlib.rectangle(0, 0, face.shape[1] - 1, face.shape[0] - 1)
            out.append(np.asarray(self.net.compute_face_descriptor(rgb, self.landmarks(rgb, box)), np.float32))
        return l2_normalise(np.stack(out))
