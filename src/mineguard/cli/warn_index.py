"""``mineguard warn index`` and ``mineguard warn similar``: the similar-incident index alerts cite (seed 003 §4.1).

``index`` embeds the REAL MSHA narratives (fatality reports and the accidents sample, known
classes only; the folder with ``msha_fatality_reports/`` and ``msha_accidents_sample/``, by default
``$MINEGUARD_SHARED_DATA/text`` or ``../shared/data/text``) and saves an ``IncidentIndex`` folder;
the platform loads it through the ``incident_index`` setting and attaches the most similar past
incidents to every new alert. ``similar`` searches a saved index with any text, as an alert would.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from mineguard.cli.warn_fusion import add_text_data_argument, text_folder

DEFAULT_OUT = Path("runs/warn/incidents")


def add_index_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("index", help="build the similar-incident index from the MSHA narratives (alert evidence)")
    add_text_data_argument(p)
    p.add_argument("--embedder", default="tfidf", help="text embedder: tfidf (default) or minilm")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"index folder to write (default {DEFAULT_OUT})")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (minilm)")
    p.set_defaults(func=cmd_index)


def add_similar_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("similar", help="the past incidents most similar to a text, from a saved index")
    p.add_argument("text", help='alert text, e.g. "Methane heading for its limit at the face; fan stopped"')
    p.add_argument(
        "--index",
        type=Path,
        default=DEFAULT_OUT,
        help=f"folder written by `mineguard warn index` (default {DEFAULT_OUT})",
    )
    p.add_argument("-k", type=int, default=3, help="how many incidents (default 3)")
    p.add_argument("--min-score", type=float, default=0.0, help="least cosine similarity shown (default 0)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (minilm)")
    p.set_defaults(func=cmd_similar)


def _threads(embedder: str, threads: int) -> None:
    if threads < 1:
        raise ValueError(f"--threads {threads}: use at least one thread")
    if embedder == "minilm":
        import torch

        torch.set_num_threads(threads)


def cmd_index(args: argparse.Namespace) -> int:
    from mineguard.warning.text import FATALITY_FILE, SAMPLE_FILE, load_accident_sample, load_fatality_reports
    from mineguard.warning.text_embedders import get_text_embedder
    from mineguard.warning.text_index import IncidentIndex

    folder = text_folder(args.text_data)
    embedder = get_text_embedder(args.embedder)  # an unknown name fails before the files are read
    _threads(args.embedder, args.threads)
    sources = [load_fatality_reports(folder / FATALITY_FILE), load_accident_sample(folder / SAMPLE_FILE)]
    known = [s.known() for s in sources]
    incidents = [x for s in known for x in s.incidents]
    index = IncidentIndex.build(incidents, embedder)
    path = index.save(args.out)
    for full, kept in zip(sources, known, strict=True):
        dropped = len(full) - len(kept)
        print(
            f"{Path(full.source).name}: {len(kept):,} incidents ({dropped:,} without a known class left out, "
            f"{full.skipped_empty:,} empty narratives skipped)"
        )
    classes = Counter(index.labels).most_common(3)
    print(
        f"indexed {len(index):,} past incidents of {len(set(index.labels))} MSHA classes (most: "
        f"{', '.join(f'{c} {n:,}' for c, n in classes)}) with {embedder.name} ({embedder.dim:,}-d); saved {path}"
    )
    print(f"use it: MINEGUARD_INCIDENT_INDEX={path} mineguard serve  (new alerts then carry their similar incidents)")
    print(f'try it: mineguard warn similar "methane rising at the face, fan stopped" --index {path}')
    return 0


def cmd_similar(args: argparse.Namespace) -> int:
    from mineguard.warning.text_index import IncidentIndex

    if args.k < 1:
        raise ValueError(f"-k {args.k}: ask for at least one incident")
    if not (args.index / "index.json").is_file():
        raise FileNotFoundError(
            f"{args.index}: no incident index there — build one with `mineguard warn index --out {args.index}`"
        )
    index = IncidentIndex.load(args.index)
    _threads(index.embedder.name, args.threads)
    found = index.search(args.text, args.k, min_score=args.min_score)
    if not found:
        print(
            f"no past incident in {args.index} ({len(index):,} incidents) shares anything with this text "
            f"(cosine > {args.min_score:g}) — try other words"
        )
        return 0
    print(f"{len(found)} of {len(index):,} past incidents most similar to the text ({index.embedder.name}):")
    for x in found:
        print(f"{x.rank:>2}. {x.score:.3f}  {x.accident_class}  {x.date.isoformat()}  {x.mine}")
        print(f"    {x.excerpt}")
    return 0
