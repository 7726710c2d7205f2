"""The model registry on SQLite and PostgreSQL: versions with their record, one active version per kind and
site, promote and rollback (to the previous active version and to a named one), duplicate and broken files
refused with the file named, and every change in the audit log."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
import torch
from sqlalchemy import func, select

from mineguard.services.audit.log import verify
from mineguard.services.model_store import store
from mineguard.services.model_store.kinds import get_model_kind, model_kinds
from mineguard.services.storage.models import ActiveModel, AuditEntry, ModelArtifact, Site
from tiny_risk_models import tiny_learned_risk

SITE = "sample-coal-mine"
NOW = datetime(2026, 12, 6, 5, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("models")
    return {name: tiny_learned_risk(seed).save(folder / f"{name}.pt").read_bytes() for seed, name in enumerate("ab")}


def add(session, data: bytes, name: str = "risk.pt", **kw):
    return store.add(session, SITE, "risk", data, filename=name, actor="mgr", now=NOW, **kw)


def audit_actions(session) -> list[tuple[str, str, dict]]:
    rows = session.scalars(select(AuditEntry).where(AuditEntry.action.like("model.%")).order_by(AuditEntry.seq))
    return [(row.action, row.actor, row.payload) for row in rows]


def test_the_risk_kind_is_registered() -> None:
    assert "risk" in model_kinds()
    kind = get_model_kind("risk")
    assert (kind.suffix, kind.label, kind.fallback().name) == (".pt", "risk model", "trend")
    with pytest.raises(ValueError, match="unknown model kind 'text' — choose one of:"):
        get_model_kind("text")


def test_two_versions_promote_and_rollback(session, files) -> None:
    first = add(session, files["a"], "a.pt", note="first")
    second = add(session, files["b"], "b.pt")
    assert (first.version, second.version) == (1, 2)
    assert first.sha256 == hashlib.sha256(files["a"]).hexdigest()
    assert first.training_data == "simulated trajectories (mineguard.warning.risk.trajectories), seed 0"
    assert first.training_data_sha256 == hashlib.sha256(first.training_data.encode()).hexdigest()
    assert first.code_version.startswith("mineguard ") and first.created_by == "mgr" and first.note == "first"
    assert {"val_loss", "val_coverage", "n_train"} <= first.metrics.keys() and "seed" not in first.metrics
    assert store.active(session, SITE, "risk") is None  # added is not serving

    store.promote(session, SITE, "risk", 1, actor="boss", now=NOW, reason="better")
    store.promote(session, SITE, "risk", 2, actor="boss", now=NOW)
    assert store.active(session, SITE, "risk").version == 2
    assert session.scalar(select(func.count()).select_from(ActiveModel)) == 1  # one active per kind and site
    with pytest.raises(store.ModelConflict, match="risk version 2 is already active"):
        store.promote(session, SITE, "risk", 2, actor="boss", now=NOW)

    assert store.rollback(session, SITE, "risk", actor="boss", now=NOW, reason="v2 misses events").version == 1
    assert store.active(session, SITE, "risk").version == 1
    with pytest.raises(store.ModelConflict, match=r"version 1 was the first active one .* rollback risk --to N"):
        store.rollback(session, SITE, "risk", actor="boss", now=NOW)
    assert store.rollback(session, SITE, "risk", actor="boss", now=NOW, to=2).version == 2
    with pytest.raises(store.NoSuchVersion, match="no risk model version 7 at site sample-coal-mine"):
        store.rollback(session, SITE, "risk", actor="boss", now=NOW, to=7)
    assert [v.version for v in store.versions(session, SITE, "risk")] == [2, 1]

    assert [(action, payload.get("version")) for action, _, payload in audit_actions(session)] == [
        ("model.added", 1),
        ("model.added", 2),
        ("model.promoted", {"from": None, "to": 1}),
        ("model.promoted", {"from": 1, "to": 2}),
        ("model.rolled_back", {"from": 2, "to": 1}),
        ("model.rolled_back", {"from": 1, "to": 2}),
    ]
    added = audit_actions(session)[0][2]
    assert added["sha256"] == first.sha256 and added["training_data_sha256"] == first.training_data_sha256
    assert audit_actions(session)[2][1] == "boss" and audit_actions(session)[2][2]["reason"] == "better"
    assert verify(session).ok


def test_a_duplicate_file_is_refused_naming_its_version(session, files) -> None:
    add(session, files["a"], "a.pt")
    with pytest.raises(store.ModelConflict, match=r"copy\.pt: this file \(\w{12}\) is already risk version 1"):
        add(session, files["a"], "copy.pt")
    session.add(Site(id="other-mine", name="Other"))  # the same file at another site: a version there, stored once
    session.flush()
    other = store.add(session, "other-mine", "risk", files["a"], filename="a.pt", actor="mgr", now=NOW)
    assert other.version == 1 and session.scalar(select(func.count()).select_from(ModelArtifact)) == 1


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"not a model", "junk.pt", "junk.pt: does not load as a risk model: not a PyTorch weights file"),
        (b"", "empty.pt", "empty.pt: empty file — train one with `mineguard warn train risk"),
        (b"whatever", "model.onnx", "model.onnx: a risk model file ends in .pt — train one"),
    ],
)
def test_a_file_that_does_not_load_is_refused(session, data: bytes, name: str, message: str) -> None:
    with pytest.raises(store.ModelStoreError, match=message.replace(".", r"\.").replace("(", r"\(")):
        add(session, data, name)
    assert store.versions(session, SITE) == [] and audit_actions(session) == []


def test_a_newer_format_is_refused_with_the_fix(session, tmp_path) -> None:
    model = tiny_learned_risk()
    path = model.save(tmp_path / "new.pt")
    ckpt = torch.load(path, weights_only=True)
    torch.save({**ckpt, "format": 2}, path)
    with pytest.raises(store.ModelStoreError, match=r"new\.pt: does not load as a risk model: .*format 2.* retrain it"):
        add(session, path.read_bytes(), "new.pt")


def test_training_data_and_metrics_given_by_the_caller(session, files) -> None:
    data = store.TrainingData.described("shift logs 2026-10", "AB" * 32)
    row = add(session, files["a"], training_data=data, metrics={"val_auc": 0.71})
    assert (row.training_data, row.training_data_sha256, row.metrics) == (
        "shift logs 2026-10",
        "ab" * 32,
        {"val_auc": 0.71},
    )
    with pytest.raises(store.ModelStoreError, match="training data sha256 'xyz': 64 hex digits"):
        store.TrainingData.described("x", "xyz")


def test_folder_hash_covers_names_and_bytes(tmp_path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.csv").write_text("1,2\n")
    before = store.sha256_of_path(tmp_path / "d")
    (tmp_path / "d" / "a.csv").rename(tmp_path / "d" / "b.csv")
    assert store.sha256_of_path(tmp_path / "d") != before
    with pytest.raises(store.ModelStoreError, match="nope: no such file or folder"):
        store.sha256_of_path(tmp_path / "nope")
