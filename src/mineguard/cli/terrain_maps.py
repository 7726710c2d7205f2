"""``mineguard terrain map`` and ``mineguard terrain change``: probability maps of open pits and the
changes between dated maps, as files and, with ``--url``, as alerts of a running service.

``map`` slides a slice classifier (a ``.pt`` checkpoint of the model zoo or a ``.onnx`` export) over
one scene and writes ``<name>_prob.tif`` (float32 probability), ``<name>_disturbed.tif`` (binary at
the threshold) and ``<name>.png`` (the picture for people); it prints the disturbed hectares at
0.7 / 0.8 / 0.9 (seed 004 §5.2) as JSON. ``change`` takes two or more dated probability maps (of
``map``) or scenes (then ``--weights``) and a site file with an ``open_pit:`` section, prints the
disturbed area per date and each finding as JSON lines, writes a before / after picture per pair
of dates, and with ``--url --gateway --secret-file`` posts the findings with those pictures.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np


def add_map_commands(commands: argparse._SubParsersAction) -> None:
    m = commands.add_parser("map", help="a scene -> open-pit probability GeoTIFF, binary layer and PNG, hectares")
    m.add_argument("scene", type=Path, help="the scene: GeoTIFF (bands named or in order), .npy (C, H, W) or .png")
    _model_args(m, required=True)
    m.add_argument("--site", type=Path, help="site file whose open_pit section sets bands, threshold and permit")
    m.add_argument("--threshold", type=float, help="probability of the binary layer (default: the site's, else 0.8)")
    m.add_argument("--out", type=Path, default=Path("terrain_maps"), help="output folder (default terrain_maps)")
    m.set_defaults(func=cmd_map)

    c = commands.add_parser("change", help="dated maps or scenes + a site -> findings (JSON lines), maps, alerts")
    c.add_argument("inputs", type=Path, nargs="+", help="two or more dated probability maps (of `map`) or scenes")
    c.add_argument("--site", type=Path, required=True, help="site file with an open_pit section (permit, thresholds)")
    _model_args(c, required=False)
    c.add_argument("--out", type=Path, default=Path("terrain_maps"), help="output folder (default terrain_maps)")
    c.add_argument("--url", help="post the findings to this service, e.g. http://127.0.0.1:8000")
    c.add_argument("--gateway", help="the site's gateway id (registered by a manager), with --url")
    c.add_argument("--secret-file", type=Path, help="a file holding the gateway's secret, with --url")
    c.set_defaults(func=cmd_change)


def _model_args(p: argparse.ArgumentParser, *, required: bool) -> None:
    help_ = "classifier weights: a .pt checkpoint of the model zoo or a .onnx export"
    p.add_argument("--weights", type=Path, required=required, help=help_ + ("" if required else " (for scenes)"))
    p.add_argument("--slice-size", type=int, help="slice size in pixels (default: the weights', else 18)")
    p.add_argument("--stride", type=int, help="step between slices in pixels (default: a third of the slice)")
    p.add_argument("--batch", type=int, default=256, help="slices per classifier call (default 256)")
    p.add_argument("--device", default="auto", help="torch device for a .pt (default auto)")
    p.add_argument("--threads", type=int, help="onnxruntime threads for a .onnx")


def cmd_map(args: argparse.Namespace) -> int:
    from mineguard.terrain.mapping import PAPER_THRESHOLDS, threshold_areas
    from mineguard.terrain.raster import read_scene

    open_pit = _open_pit(args.site) if args.site else None
    rules = _rules(open_pit)
    threshold = args.threshold if args.threshold is not None else rules.probability
    scene = read_scene(args.scene, _bands(open_pit))
    pmap = _map_scene(scene, _classifier(args), args)
    if open_pit is not None:
        rules.check_crs(pmap, f"{args.site}: open_pit.crs")
    written = _write_maps(pmap, scene, threshold, rules, args.out)
    areas = threshold_areas(pmap, sorted({*PAPER_THRESHOLDS, threshold})) if pmap.pixel_area_m2 else []
    print(
        json.dumps(
            {
                "scene": str(scene.path),
                "date": pmap.taken.isoformat() if pmap.taken else None,
                "slice_size": pmap.slice_size,
                "stride": pmap.stride,
                "windows": pmap.windows,
                "seconds": round(pmap.seconds, 3),
                "km2_per_s": round(pmap.km2_per_s, 3) if pmap.km2_per_s else None,
                "hectares": {f"{a.threshold:g}": round(a.hectares, 4) for a in areas},
                "files": [str(p) for p in written],
            }
        )
    )
    return 0


def cmd_change(args: argparse.Namespace) -> int:
    from mineguard.mine.site import load_site
    from mineguard.terrain.change import by_date, change_between, disturbed_history, find_changes
    from mineguard.terrain.raster import read_scene
    from mineguard.terrain.writers import is_probability_map, read_probability_map

    if len(args.inputs) < 2:
        raise ValueError("a change needs two or more dated maps or scenes")
    site = load_site(args.site)
    open_pit = _open_pit(args.site, site)
    rules = _rules(open_pit)
    if args.url and not (args.gateway and args.secret_file):
        raise ValueError("--url needs --gateway GATEWAY_ID and --secret-file FILE (the gateway's secret)")
    classifier = None
    maps, scenes = [], {}
    for path in args.inputs:
        if is_probability_map(path):
            maps.append(read_probability_map(path))
            continue
        if args.weights is None:
            raise ValueError(f"{path}: is a scene, not a probability map of `mineguard terrain map` — pass --weights")
        classifier = classifier or _classifier(args)
        scene = read_scene(path, _bands(open_pit))
        pmap = _map_scene(scene, classifier, args)
        _write_maps(pmap, scene, rules.probability, rules, args.out)
        maps.append(pmap)
        scenes[pmap.path] = scene
    maps = by_date(maps)
    history = disturbed_history(maps, rules.probability)
    for day, hectares in history:
        print(json.dumps({"date": day.isoformat() if day else None, "disturbed_ha": round(hectares, 4)}))
    refused = _post_history(history, args, site.id, open_pit.zone, rules.probability) if args.url else 0
    for before, after in itertools.pairwise(maps):
        findings = find_changes(before, after, rules, source=f"{args.site}: open_pit.crs")
        change = change_between(before, after, rules.probability)
        pictures = _change_pictures(before, after, change, rules, scenes, args.out)
        for finding in findings:
            print(json.dumps({"finding": finding.to_json()}))
        if args.url and findings:
            refused += _post(findings, pictures, args, site.id, open_pit.zone)
    return 1 if refused else 0


def _post_history(history: list, args: argparse.Namespace, site_id: str, zone: str, threshold: float) -> int:
    from mineguard.edge.findings import post_area_history

    report = post_area_history(
        history,
        args.url,
        threshold=threshold,
        zone_id=zone,
        site_id=site_id,
        gateway=args.gateway,
        secret=_secret(args),
    )
    print(json.dumps({"posted_history": {"sent": report.sent, "refused": report.refused}}))
    return report.refused


def _secret(args: argparse.Namespace) -> str:
    if not args.secret_file.is_file():
        raise ValueError(f"{args.secret_file}: no such secret file — write the gateway's secret in it")
    return args.secret_file.read_text(encoding="utf-8").strip()


def _post(findings: list, pictures: tuple[Path, Path], args: argparse.Namespace, site_id: str, zone: str) -> int:
    from mineguard.edge.findings import post_findings

    report = post_findings(
        findings, *pictures, args.url, zone_id=zone, site_id=site_id, gateway=args.gateway, secret=_secret(args)
    )
    print(json.dumps({"posted": {"sent": report.sent, "refused": report.refused, "evidence": report.evidence}}))
    return report.refused


def _open_pit(path: Path, site=None):
    from mineguard.mine.site import load_site

    site = site or load_site(path)
    if site.open_pit is None:
        raise ValueError(f"{path}: has no open_pit section — add the permit polygon and thresholds (mine/open_pit.py)")
    return site.open_pit


def _rules(open_pit):
    from mineguard.terrain.change import ChangeRules

    return ChangeRules.from_site(open_pit) if open_pit is not None else ChangeRules()


def _bands(open_pit):
    from mineguard.terrain.change import band_config

    return band_config(open_pit) if open_pit is not None else None


def _classifier(args: argparse.Namespace):
    from mineguard.terrain.classifiers import load_classifier

    return load_classifier(args.weights, device=args.device, threads=args.threads)


def _map_scene(scene, classifier, args: argparse.Namespace):
    from tqdm import tqdm

    from mineguard.terrain.mapping import DEFAULT_SLICE, count_windows, probability_map

    size = args.slice_size or classifier.slice_size or DEFAULT_SLICE
    if classifier.slice_size and size != classifier.slice_size:
        raise ValueError(f"{classifier.source}: takes {classifier.slice_size}-pixel slices, not --slice-size {size}")
    if classifier.in_channels and classifier.in_channels != scene.bands.shape[0]:
        raise ValueError(
            f"{classifier.source}: takes {classifier.in_channels} bands, {scene.path} has {scene.bands.shape[0]} "
            f"({', '.join(scene.band_names)}) — set the site's open_pit.bands.names"
        )
    stride = args.stride or max(1, size // 3)
    total = count_windows(scene.shape, size, stride)
    with tqdm(total=total, desc=scene.path.name, unit="slice", leave=False) as bar:
        return probability_map(scene, classifier.predict, size, stride, batch=args.batch, progress=bar.update)


def _write_maps(pmap, scene, threshold: float, rules, out: Path) -> list[Path]:
    from mineguard.terrain.mapping import area_ha, disturbed
    from mineguard.terrain.writers import overlay, true_colour, write_disturbed_tif, write_png, write_probability_tif

    stem = scene.path.stem
    layer = disturbed(pmap.probs, threshold)
    written = []
    if pmap.crs is not None and pmap.transform is not None:
        written.append(write_probability_tif(out / f"{stem}_prob.tif", pmap))
        written.append(write_disturbed_tif(out / f"{stem}_disturbed.tif", pmap, layer, threshold))
    hectares = f"{area_ha(layer, pmap):.2f} ha" if pmap.pixel_area_m2 else f"{int(layer.sum())} px"
    legend = [f"{_day(pmap)}  open pit at p >= {threshold:g}: {hectares}", *_boundary_note(rules, pmap)]
    picture = overlay(true_colour(scene), layer, legend, boundary=_boundary(rules, pmap))
    written.append(write_png(out / f"{stem}.png", picture))
    return written


def _change_pictures(before, after, change, rules, scenes: dict, out: Path) -> tuple[Path, Path]:
    """The before picture (disturbed then) and the after picture (disturbed now, new in crimson)."""
    from mineguard.terrain.mapping import area_ha, disturbed
    from mineguard.terrain.writers import grey_probability, overlay, true_colour, write_png

    paths = []
    for pmap, new in ((before, None), (after, change.gained)):
        layer = disturbed(pmap.probs, rules.probability)
        scene = scenes.get(pmap.path)
        background = true_colour(scene) if scene is not None else grey_probability(pmap)
        legend = [f"{_day(pmap)}  open pit at p >= {rules.probability:g}: {area_ha(layer, pmap):.2f} ha"]
        if new is not None:
            legend.append(f"new since {_day(before)} (crimson): {change.gained_ha:.2f} ha")
            legend.append(f"no longer disturbed: {change.lost_ha:.2f} ha")
        legend += _boundary_note(rules, pmap)
        picture = overlay(background, layer, legend, new=new, boundary=_boundary(rules, pmap))
        which = "after" if new is not None else "before"
        paths.append(write_png(out / f"change_{_day(before)}_{_day(after)}_{which}.png", picture))
    return paths[0], paths[1]


def _boundary(rules, pmap) -> np.ndarray | None:
    from mineguard.terrain.change import to_pixels

    if not rules.permit or pmap.transform is None:
        return None
    return to_pixels(rules.permit, pmap.transform)


def _boundary_note(rules, pmap) -> list[str]:
    return ["permit boundary: cyan line"] if rules.permit and pmap.transform is not None else []


def _day(pmap) -> str:
    return pmap.taken.isoformat() if pmap.taken else "undated"
