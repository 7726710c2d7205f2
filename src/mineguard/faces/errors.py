"""The error raised for a face image that cannot be enrolled or identified, with a reason code and a fix.

Every message names the file (when there is one), says what is wrong with numbers, and says what to do, so
the CLI and the enrolment API can show it as ``error: <message>`` instead of a traceback::

    s1/3.png: blur score 12.3 < 40 (variance of the Laplacian) — hold the camera still, clean the lens

The ``reason`` is a stable code for programs (API responses, counters); the message is for people.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Literal, get_args

FaceImageReason = Literal[
    "unreadable",  # missing, empty, corrupt or not an image format OpenCV reads
    "no_face",  # the detector found no face
    "several_faces",  # more than one face of comparable size
    "too_small",  # image or face box below the minimum side in pixels
    "blurry",  # variance of the Laplacian below the gate
    "too_dark",  # mean grey level below the gate
    "too_bright",  # mean grey level above the gate (glare, over-exposure)
    "flat",  # grey-level std below the gate: uniform or featureless image
    "duplicate_identity",  # the face already matches another enrolled person (score >= the accept threshold)
    "already_enrolled",  # the same photo is already in this person's enrolment (or twice in one enrolment)
    "not_frontal",  # the face is turned away (gate cameras: eye balance / mirror symmetry below the gate)
    "dusty",  # too much of the face covered by dark dust speckle and smudges (gate cameras)
]
REASONS: tuple[str, ...] = get_args(FaceImageReason)

#: What a person can do about each reason; used when the caller gives no more specific fix.
DEFAULT_FIXES: MappingProxyType[str, str] = MappingProxyType(
    {
        "unreadable": "check the file is a complete PGM/PNG/JPG image (re-export or re-copy it)",
        "no_face": "use a frontal photo with the whole face visible and the helmet lamp not pointed at the camera",
        "several_faces": "photograph one miner at a time, or crop the image to the miner being enrolled",
        "too_small": "step closer to the camera or use a higher-resolution image",
        "blurry": "hold the camera still, clean the lens and make sure the face is in focus",
        "too_dark": "add light on the face (cap lamp or area light) or raise the camera exposure",
        "too_bright": "move out of direct glare and lower the exposure; do not point a cap lamp at the lens",
        "flat": "the image shows no detail (uniform grey or covered lens): check the lens cover and the camera feed",
        "duplicate_identity": "check the person id; if the earlier enrolment was under the wrong id, erase it first "
        "(`mineguard face erase` or DELETE /api/v1/faces/<id>)",
        "already_enrolled": "take a new photo (another angle or light) instead of enrolling the same one again",
        "not_frontal": "look at the camera when passing the gate; mount it where people walk towards it",
        "dusty": "clean the face (or the camera's lens) — coal dust hides the features the matcher needs",
    }
)


class FaceImageError(ValueError):
    """A face image that cannot be used, with a machine-readable ``reason`` and a message saying how to fix it.

    Attributes:
        reason: one of ``REASONS`` (see ``FaceImageReason``).
        path: the image file as given by the caller, or None for in-memory images.
        detail: what is wrong, with the measured numbers (``"blur score 12.3 < 40"``).
        fix: what to do about it (defaults to ``DEFAULT_FIXES[reason]``).

    Example:
        >>> str(FaceImageError("too_dark", "mean grey 21.0 < 40", path="a.png"))  # doctest: +ELLIPSIS
        'a.png: mean grey 21.0 < 40 — add light on the face ...'
    """

    def __init__(self, reason: FaceImageReason, detail: str, *, path: str | None = None, fix: str | None = None):
        if reason not in REASONS:
            raise ValueError(f"unknown FaceImageError reason {reason!r}; use one of {', '.join(REASONS)}")
        self.reason: FaceImageReason = reason
        self.path: str | None = None if path is None else str(path)
        self.detail = detail
        self.fix = DEFAULT_FIXES[reason] if fix is None else fix
        prefix = f"{self.path}: " if self.path is not None else ""
        super().__init__(f"{prefix}{detail} — {self.fix}")

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments do not survive the default exception pickling (data-loader workers).
        return (_rebuild, (self.reason, self.detail, self.path, self.fix))


def _rebuild(reason: FaceImageReason, detail: str, path: str | None, fix: str) -> FaceImageError:
    return FaceImageError(reason, detail, path=path, fix=fix)
