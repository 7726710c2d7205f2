"""Past incidents as text: loaders, splits, hazard mapping, embedders, classifier, similar-incident index."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.feature_extraction.text import TfidfVectorizer

from mineguard.warning.text import (
    FATALITY_COLUMNS,
    FATALITY_FILE,
    HAZARD_CLASSES,
    SAMPLE_FILE,
    Incident,
    IncidentSet,
    TextDataError,
    hazard_of,
    load_accident_sample,
    load_fatality_reports,
    merge_rare_classes,
    narratives_by_hazard,
    stratified_split,
    time_split,
)
from mineguard.warning.text_classifier import AccidentClassifier, majority_baseline, score_classes
from mineguard.warning.text_embedders import get_text_embedder, list_text_embedders
from mineguard.warning.text_index import IncidentIndex, chance_precision, excerpt, nearest, precision_at_k

CORPUS = [  # (class, narrative): a tiny hand-made corpus, three classes
    ("Fall of Roof or Back", "a large rock fell from the roof between bolts and struck the roof bolter operator"),
    ("Fall of Roof or Back", "the unsupported roof collapsed on the continuous miner operator at the face"),
    ("Fall of Roof or Back", "roof rock fell out between the roof bolts onto the miner"),
    ("Ignition or Explosion of Gas or Dust", "methane accumulated at the longwall face and ignited as the fan stopped"),
    ("Ignition or Explosion of Gas or Dust", "an explosion of methane gas at the face after ventilation was lost"),
    ("Ignition or Explosion of Gas or Dust", "the methane monitor read two percent and the gas ignited at the shearer"),
    ("Machinery", "the victim was caught in the conveyor belt tail pulley while cleaning spillage"),
    ("Machinery", "his arm was pulled into the belt conveyor drive when the guard was removed"),
    ("Machinery", "the miner was caught between the belt and the conveyor roller"),
]


def incidents(start: dt.date = dt.date(2010, 1, 1)) -> list[Incident]:
    return [
        Incident(
            key=f"r{i}",
            date=start + dt.timedelta(days=30 * i),
            accident_class=c,
            text=t,
            mine=f"Mine {i}, WV",
            mineral="Coal (Bituminous)",
            mine_type="Coal",
            source="tiny.csv",
            url=f"https://example.org/r{i}",
        )
        for i, (c, t) in enumerate(CORPUS)
    ]


def write_fatality(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...] = FATALITY_COLUMNS) -> Path:
    lines = ["|".join(columns)] + ["|".join(row.get(c, "") for c in columns) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def fatality_row(i: int, **changes: str) -> dict[str, str]:
    row = {
        "report-key": f"/fatality-{i}",
        "report-url": f"https://www.msha.gov/fatality-{i}",
        "accidnet-classification": "Powered Haulage",
        "location": "Buckhorn Mine, Washington",
        "mine-type": "Metal and Non-Metal",
        "mine-controller": "Kinross",
        "mined-mineral": "Gold Ore",
        "incident-date": f"2016-12-{i + 1:02d}T14:56:00-05:00",
        "f-p-desc-of-accident": f"a truck ran over {i}",
    }
    return row | changes


# ------------------------------------------------------------------------------------------------ loaders


def test_load_fatality_reports_skips_and_counts_empty_narratives(tmp_path: Path) -> None:
    rows = [fatality_row(0), fatality_row(1, **{"f-p-desc-of-accident": "  "}), fatality_row(2)]
    got = load_fatality_reports(write_fatality(tmp_path / "f.csv", rows))
    assert len(got) == 2 and got.skipped_empty == 1
    first = got[0]
    assert (first.key, first.date, first.accident_class) == ("/fatality-0", dt.date(2016, 12, 1), "Powered Haulage")
    assert (first.mine, first.mineral, first.mine_type, first.source) == (
        "Buckhorn Mine, Washington",
        "Gold Ore",
        "Metal and Non-Metal",
        "f.csv",
    )
    assert got.texts == ["a truck ran over 0", "a truck ran over 2"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"incident-date": "yesterday"}, r"f\.csv:3: field 'incident-date' = 'yesterday' is not a date — expected ISO"),
        ({"accidnet-classification": ""}, r"f\.csv:3: field 'accidnet-classification' is empty"),
        ({"location": "a|b"}, r"f\.csv:3: 10 fields but the header has 9 — a stray '\|'"),
    ],
)
def test_bad_fatality_row_names_file_line_and_field(tmp_path: Path, change: dict[str, str], message: str) -> None:
    with pytest.raises(TextDataError, match=message):
        load_fatality_reports(write_fatality(tmp_path / "f.csv", [fatality_row(0), fatality_row(1, **change)]))


def test_bad_fatality_files(tmp_path: Path) -> None:
    with pytest.raises(TextDataError, match="file not found — pass the MSHA fatality reports"):
        load_fatality_reports(tmp_path / "absent.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(TextDataError, match=r"empty\.csv: empty file"):
        load_fatality_reports(tmp_path / "empty.csv")
    no_date = write_fatality(tmp_path / "a.csv", [fatality_row(0)], FATALITY_COLUMNS[:7] + FATALITY_COLUMNS[8:])
    with pytest.raises(TextDataError, match=r"a\.csv:1: header lacks 'incident-date'"):
        load_fatality_reports(no_date)
    commas = tmp_path / "b.csv"
    commas.write_text(",".join(FATALITY_COLUMNS) + "\n")
    with pytest.raises(TextDataError, match=r"b\.csv:1: header lacks .*looks ','-delimited"):
        load_fatality_reports(commas)
    blank = write_fatality(tmp_path / "c.csv", [fatality_row(0, **{"f-p-desc-of-accident": ""})])
    with pytest.raises(TextDataError, match=r"c\.csv: no rows with a narrative \(1 empty\)"):
        load_fatality_reports(blank)


def test_load_accident_sample_dates(tmp_path: Path) -> None:
    header = "MINE_ID,OPERATOR_NAME,ACCIDENT_DT,CLASSIFICATION,NARRATIVE,COAL_METAL_IND\n"
    path = tmp_path / "s.csv"
    path.write_text(
        header + '100003,Lhoist ,40982,POWERED HAULAGE,"Skid steer pinned him, badly.",M\n'
        "7,Op,03/26/2012,FIRE,Dozer burned.,C\n8,Op,40983,OTHER,,C\n"
    )
    got = load_accident_sample(path)
    assert [x.date for x in got.incidents] == [dt.date(2012, 3, 14), dt.date(2012, 3, 26)] and got.skipped_empty == 1
    assert (got[0].key, got[0].mine, got[0].mine_type) == ("s.csv:2", "mine 100003 (Lhoist)", "Metal and Non-Metal")
    assert got[0].text == "Skid steer pinned him, badly." and got[1].accident_class == "FIRE"
    path.write_text(header + "7,Op,2012-13-40,FIRE,x,C\n")
    with pytest.raises(TextDataError, match=r"s\.csv:2: field 'ACCIDENT_DT' = '2012-13-40' is not a date"):
        load_accident_sample(path)


def test_known_drops_unknown_classes() -> None:
    records = incidents()[:2]
    unknown = Incident("u", dt.date(2010, 1, 1), "NO VALUE FOUND", "x", "m", "", "Coal", "s.csv")
    assert len(IncidentSet((*records, unknown), "s.csv").known()) == 2


# -------------------------------------------------------------------------------------------------- splits


def test_time_split_never_puts_a_test_date_before_a_training_date() -> None:
    days = [5, 1, 3, 3, 3, 9, 2, 7, 7, 4]  # shuffled, with shared dates at the natural cut
    records = [Incident(f"k{i}", dt.date(2012, 1, d), "c", "t", "m", "", "Coal", "s") for i, d in enumerate(days)]
    split = time_split(records, test_frac=0.6)  # the cut at 4 of 10 falls inside the three reports of day 3
    train_dates = [records[i].date for i in split.train]
    test_dates = [records[i].date for i in split.test]
    assert max(train_dates) < min(test_dates) and split.protocol == "time"
    assert sorted(np.concatenate([split.train, split.test]).tolist()) == list(range(10))
    assert len(split.test) == 5 and train_dates == sorted(train_dates)  # moved past day 3, in date order
    with pytest.raises(ValueError, match="test_frac"):
        time_split(records, test_frac=1.0)
    with pytest.raises(ValueError, match="too few dates"):
        time_split(records[2:5], test_frac=0.3)  # one date only


def test_stratified_split_keeps_proportions_and_copes_with_a_singleton() -> None:
    labels = ["a"] * 20 + ["b"] * 10 + ["c"]
    split = stratified_split(labels, test_frac=0.3, seed=0)
    test = [labels[i] for i in split.test]
    assert len(test) == 10 and test.count("b") == 3 and split.protocol == "stratified"
    assert sorted(np.concatenate([split.train, split.test]).tolist()) == list(range(31))


def test_merge_rare_classes_uses_training_counts_only() -> None:
    train, test = merge_rare_classes(["a"] * 5 + ["b"] * 4 + ["Other"], ["a", "b", "z"], min_count=5)
    assert train == ["a"] * 5 + ["Other"] * 5 and test == ["a", "Other", "Other"]


# ------------------------------------------------------------------------------------------------- hazards


def test_hazard_mapping() -> None:
    assert list(HAZARD_CLASSES) == ["none", "gas", "fire", "belt", "roof", "ppe"]
    assert hazard_of("Ignition or Explosion of Gas or Dust") == "gas" and hazard_of("FIRE") == "fire"
    assert hazard_of("FALL OF FACE/RIB/PILLAR/SIDE/HIGHWALL") == "roof" == hazard_of("Fall of Roof or Back")
    assert hazard_of("Machinery", "caught in the conveyor tail pulley") == "belt"
    assert hazard_of("POWERED HAULAGE", "he was not wearing his seat belt when the truck rolled") == "none"
    assert hazard_of("Slip or Fall of Person") == "ppe" and hazard_of("Electrical") == "none"
    assert hazard_of("NO VALUE FOUND") is None and hazard_of("Something New") is None
    classes = [c for cs in HAZARD_CLASSES.values() for c in cs]
    assert len(classes) == len(set(classes))  # each class has one hazard


# ----------------------------------------------------------------------------------------------- embedders


def test_registry() -> None:
    assert list_text_embedders() == ["minilm", "tfidf"]
    with pytest.raises(ValueError, match="unknown text embedder 'bert'"):
        get_text_embedder("bert")


def test_tfidf_equals_sklearn_and_handles_blank_text() -> None:
    texts = [t for _, t in CORPUS]
    emb = get_text_embedder("tfidf").fit(texts)
    X = emb.transform([*texts, "", "zebra quokka"])
    expected = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(texts).transform(texts).toarray()
    assert X.dtype == np.float32 and X.shape == (len(texts) + 2, emb.dim) == (len(texts) + 2, expected.shape[1])
    np.testing.assert_allclose(X[: len(texts)], expected, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(X[: len(texts)], axis=1), 1.0, atol=1e-6)
    assert not X[-2:].any()  # blank text and unseen words: zero rows
    assert get_text_embedder("tfidf", ngram_range=(1, 1)).fit(["roof fell", "roof bolt"]).dim == 3
    assert get_text_embedder("tfidf", max_features=4).fit(texts).dim == 4
    with pytest.raises(RuntimeError, match="not fitted"):
        get_text_embedder("tfidf").transform(["x"])
    with pytest.raises(ValueError, match="no words to learn"):
        get_text_embedder("tfidf").fit(["", " "])


@pytest.mark.slow
def test_minilm_embedder() -> None:
    torch.set_num_threads(1)
    emb = get_text_embedder("minilm", chunk_words=8)
    X = emb.fit([]).transform(
        [
            "methane ignited at the longwall face",
            "an explosion of methane gas at the face",
            "he slipped on the stairs to the office",
            "",
        ]
    )
    assert X.shape == (4, 384) == (4, emb.dim) and X.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(X[:3], axis=1), 1.0, atol=1e-5)
    assert not X[3].any()
    assert X[0] @ X[1] > X[0] @ X[2] + 0.2
    long_text = "methane ignited at the longwall face " * 6  # 36 words: chunks of 8, 8, 8, 8, 4
    assert len(emb.chunks(long_text)) == 5 and emb.chunks("  ") == []
    assert float(emb.transform([long_text])[0] @ X[0]) > 0.9


# ------------------------------------------------------------------------------------- classification


def test_score_classes_known_answer() -> None:
    scores = score_classes(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    assert scores.accuracy == 0.75 and scores.n == 4 and scores.classes == ("a", "b")
    assert scores.per_class_f1 == pytest.approx({"a": 2 / 3, "b": 0.8}) and scores.macro_f1 == pytest.approx(11 / 15)
    base = majority_baseline(["a", "b", "b"], ["a", "b", "b", "b"])
    assert base.accuracy == 0.75 and base.macro_f1 == pytest.approx((0 + 6 / 7) / 2)


def test_classifier_learns_the_tiny_corpus() -> None:
    texts, labels = [t for _, t in CORPUS], [c for c, _ in CORPUS]
    emb = get_text_embedder("tfidf").fit(texts)
    clf = AccidentClassifier(C=10.0).fit(emb.transform(texts), labels)
    queries = ["methane gas ignited at the face", "roof rock fell on the bolter", "caught in the belt conveyor"]
    assert clf.predict(emb.transform(queries)) == [labels[3], labels[0], labels[6]]
    assert clf.evaluate(emb.transform(texts), labels).accuracy == 1.0
    with pytest.raises(ValueError, match="two accident classes"):
        AccidentClassifier().fit(emb.transform(texts[:2]), labels[:2])
    with pytest.raises(RuntimeError, match="not fitted"):
        AccidentClassifier().predict(emb.transform(texts))


def test_classifier_chooses_c_by_cross_validation_inside_the_training_data() -> None:
    rng = np.random.default_rng(0)
    centers = np.eye(4)[:3]  # three classes, 12 unit rows each around its own axis
    X = np.concatenate([c + rng.normal(0, 0.2, (12, 4)) for c in centers])
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    labels = [name for name in ("roof", "gas", "belt") for _ in range(12)]
    clf = AccidentClassifier(C="cv").fit(X, labels)
    assert clf.chosen_C in AccidentClassifier.C_GRID and clf.evaluate(X, labels).accuracy == 1.0
    assert AccidentClassifier(C=2.0).chosen_C == 2.0
    with pytest.raises(ValueError, match="rarest has 2"):
        AccidentClassifier(C="cv").fit(X[:26], labels[:26])  # "belt" has 2 rows: not enough for 3 folds
    with pytest.raises(ValueError, match="C must be > 0 or 'cv'"):
        AccidentClassifier(C=0.0)


# ------------------------------------------------------------------------------------------------ retrieval


def test_nearest_and_precision_at_k_known_answer() -> None:
    angle = np.deg2rad([0, 10, 90, 150, 60])
    index = np.stack([np.cos(angle), np.sin(angle)], axis=1)  # unit vectors on a circle
    labels = ["a", "a", "b", "b", "a"]
    queries = index[[0, 2]]  # at 0 and 90 degrees
    scores, order = nearest(index, queries, 3)
    assert order.tolist() == [[0, 1, 4], [2, 4, 3]]
    assert scores[0].tolist() == pytest.approx([1.0, np.cos(np.deg2rad(10)), 0.5], abs=1e-6)
    p = precision_at_k(queries, ["a", "b"], index, labels, ks=(1, 2, 3))
    # query a: a, a, a -> 1, 1, 1; query b: b, a (30 degrees), b (60 degrees) -> 1, 1/2, 2/3
    assert p[1] == 1.0 and p[2] == pytest.approx(0.75) and p[3] == pytest.approx(5 / 6)
    assert chance_precision(["a", "b"], labels) == pytest.approx((3 / 5 + 2 / 5) / 2)
    with pytest.raises(ValueError, match="exceeds the 5 indexed"):
        precision_at_k(queries, ["a", "b"], index, labels, ks=(6,))


def test_index_returns_the_identical_incident_first() -> None:
    records = incidents()
    index = IncidentIndex.build(records, get_text_embedder("tfidf"))
    found = index.search(records[4].text, k=3)
    assert [f.rank for f in found] == [1, 2, 3] and found[0].key == "r4" and found[0].score == pytest.approx(1.0)
    assert found[0].score > found[1].score >= found[2].score
    assert found[0].accident_class == "Ignition or Explosion of Gas or Dust" and found[0].hazard == "gas"
    assert found[0].url == "https://example.org/r4" and found[0].date == dt.date(2010, 1, 1) + dt.timedelta(days=120)
    alert = index.search("Methane 1.2 % at longwall face 1101 with booster fan stopped", k=2)
    assert alert[0].key == "r3" and {f.hazard for f in alert} == {"gas"}
    assert json.loads(json.dumps(alert[0].as_evidence()))["date"] == "2010-04-01"
    assert index.search("") == [] and index.search("zebra quokka") == []  # no evidence rather than noise
    assert len(index.search("roof", k=9, min_score=0.2)) < len(index.search("roof", k=9))


def test_excerpt_centres_on_shared_words() -> None:
    text = " ".join(f"w{i}" for i in range(100)) + " methane ignited near the fan " + " ".join(["x"] * 50)
    cut = excerpt(text, "methane at the fan", words=20)
    assert "methane" in cut and cut.startswith("… ") and cut.endswith(" …") and len(cut.split()) == 22
    tail = excerpt(" ".join(["x"] * 103) + " methane", "methane", words=20)  # the last window is tried too
    assert tail.endswith("x methane") and tail.startswith("… ")
    assert excerpt("a b c", "zzz", words=2) == "a b …" and excerpt("a b", "zzz") == "a b" and excerpt("", "x") == ""


def test_index_save_load_round_trip(tmp_path: Path) -> None:
    index = IncidentIndex.build(incidents(), get_text_embedder("tfidf", min_df=1))
    folder = index.save(tmp_path / "idx")
    assert sorted(p.name for p in folder.iterdir()) == ["arrays.npz", "index.json"]
    again = IncidentIndex.load(folder)
    assert again.incidents == index.incidents and again.embedder.config() == index.embedder.config()
    np.testing.assert_array_equal(again.embeddings, index.embeddings)
    query = "caught in the conveyor belt"
    assert again.search(query, k=4) == index.search(query, k=4)
    meta = json.loads((folder / "index.json").read_text())
    meta["incidents"][0]["colour"] = "red"
    (folder / "index.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=r"index\.json: incident 0 has fields"):
        IncidentIndex.load(folder)
    (folder / "index.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(ValueError, match="not a version-1 mineguard-incident-index"):
        IncidentIndex.load(folder)
    (folder / "index.json").write_text("{")
    with pytest.raises(ValueError, match=r"index\.json: not valid JSON"):
        IncidentIndex.load(folder)
    with pytest.raises(ValueError, match="not found"):
        IncidentIndex.load(tmp_path / "nowhere")


# ------------------------------------------------------------------------------------------------ real data


def test_real_msha_files(shared_data: Path) -> None:
    text = shared_data / "text"
    reports = load_fatality_reports(text / FATALITY_FILE)
    assert len(reports) + reports.skipped_empty == 351 and reports.skipped_empty == 21
    assert len(set(reports.labels)) == 17  # 18 classes in the file; "Hand Tools" has only an empty narrative
    assert min(x.date for x in reports.incidents).year == 2007 and max(x.date for x in reports.incidents).year == 2016
    split = time_split(reports)
    assert max(reports[i].date for i in split.train) < min(reports[i].date for i in split.test)
    sample = load_accident_sample(text / SAMPLE_FILE)
    assert len(sample) == 2000 and len(sample.known()) == 1979
    assert min(x.date for x in sample.incidents).year == 2000 and max(x.date for x in sample.incidents).year == 2015
    by_hazard = narratives_by_hazard(shared_data)
    assert list(by_hazard) == ["none", "gas", "fire", "belt", "roof", "ppe"]
    assert all(len(v) >= 10 for v in by_hazard.values()) and all(t.strip() for v in by_hazard.values() for t in v)
    assert by_hazard == narratives_by_hazard(text)  # the text folder itself is accepted too
