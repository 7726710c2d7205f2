"""Anchors: grid-cell centres of anchor-free heads, and the anchor boxes of anchor-based heads.

- ``make_anchors``: the anchor points of YOLOv8/v10 heads.
- ``cluster_anchors``: anchor shapes by mean-IoU clustering of a data set's boxes (seed 000 Eqs. 6-7);
  ``wh_iou`` and ``mean_iou`` are its IoU and objective.
- ``decode_anchor_boxes``: YOLOv3 box decoding of one level (shared by the head and the loss).
"""

from __future__ import annotations

import torch

from mineguard.ops.iou import box_iou_pairwise


def make_anchors(
    feature_shapes: list[tuple[int, int]],
    strides: list[int] | torch.Tensor,
    *,
    offset: float = 0.5,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Grid-cell centres of every level, in units of that level's grid.

    Returns:
        anchor_points: (N, 2) x, y in grid cells (multiply by stride for pixels);
        stride_tensor: (N, 1) stride in pixels of each point; N = sum of H_i * W_i.
    """
    points, stride_list = [], []
    for (h, w), stride in zip(feature_shapes, strides, strict=True):
        sx = torch.arange(w, device=device, dtype=dtype) + offset
        sy = torch.arange(h, device=device, dtype=dtype) + offset
        grid_y, grid_x = torch.meshgrid(sy, sx, indexing="ij")
        points.append(torch.stack((grid_x, grid_y), -1).view(-1, 2))
        stride_list.append(torch.full((h * w, 1), float(stride), device=device, dtype=dtype))
    return torch.cat(points), torch.cat(stride_list)


# --- Anchor boxes of anchor-based heads (YOLOv3, seed 000) -------------------------------------

# YOLOv3's COCO anchors at 416 px (Redmon & Farhadi 2018), small to large, three per level:
# the default until the anchors are clustered on a data set (``cluster_anchors``).
YOLOV3_COCO_ANCHORS = (
    ((10.0, 13.0), (16.0, 30.0), (33.0, 23.0)),
    ((30.0, 61.0), (62.0, 45.0), (59.0, 119.0)),
    ((116.0, 90.0), (156.0, 198.0), (373.0, 326.0)),
)


def wh_iou(wh1: torch.Tensor, wh2: torch.Tensor) -> torch.Tensor:
    """IoU of box shapes aligned at a common corner (centre): (N, 2) x (K, 2) widths, heights -> (N, K).

    The IoU of seed 000 Eq. 6 between a box and a cluster centroid, which have sizes but no place.
    """
    zeros1 = torch.zeros_like(wh1)
    zeros2 = torch.zeros_like(wh2)
    return box_iou_pairwise(torch.cat((zeros1, wh1), -1), torch.cat((zeros2, wh2), -1))


def mean_iou(wh: torch.Tensor, anchors: torch.Tensor) -> torch.Tensor:
    """Mean over boxes of the IoU with the nearest (highest-IoU) anchor, seed 000 Eq. 7 — a scalar.

    wh: (N, 2) box widths, heights; anchors: (K, 2), same units.
    """
    return wh_iou(wh, anchors).amax(1).mean()


def _init_centroids(wh: torch.Tensor, k: int, generator: torch.Generator) -> torch.Tensor:
    """k-means++ seeding with the 1 - IoU distance (Eq. 6): each next centroid drawn ∝ d²."""
    first = torch.randint(len(wh), (1,), generator=generator)
    centroids = wh[first]
    for _ in range(1, k):
        d = (1 - wh_iou(wh, centroids).amax(1)).clamp(min=0) ** 2
        if float(d.sum()) <= 0:  # every box already equals a centroid: pick any other
            pick = torch.randint(len(wh), (1,), generator=generator)
        else:
            pick = torch.multinomial(d, 1, generator=generator)
        centroids = torch.cat((centroids, wh[pick]))
    return centroids


def cluster_anchors(
    wh: torch.Tensor, k: int = 9, *, restarts: int = 5, iterations: int = 100, seed: int = 0
) -> tuple[torch.Tensor, float]:
    """Anchor shapes by mean-IoU clustering of box sizes (seed 000 Eqs. 6-7).

    k-means with the distance d = 1 - IoU(box, centroid) (Eq. 6): boxes join the centroid they
    overlap most, centroids move to their members' median width and height, until nothing
    changes. Of ``restarts`` seeded runs the one with the highest mean IoU (Eq. 7) is kept,
    which is what makes the result stable where plain k-means is not.

    Args:
        wh: (N, 2) box widths, heights in pixels of the network input (N >= k, all > 0).
        k: number of anchors (YOLOv3: 3 levels x 3).
    Returns:
        anchors (k, 2) sorted by area, small to large; their mean IoU with the boxes.
    """
    wh = wh.detach().to(torch.float64).reshape(-1, 2)
    wh = wh[(wh > 0).all(1)]
    if len(wh) < k:
        raise ValueError(f"cluster_anchors: {len(wh)} boxes with positive size, need at least k={k}")
    generator = torch.Generator().manual_seed(seed)
    best, best_score = None, -1.0
    for _ in range(max(restarts, 1)):
        centroids = _init_centroids(wh, k, generator)
        members = None
        for _ in range(iterations):
            nearest = wh_iou(wh, centroids).argmax(1)
            if members is not None and torch.equal(nearest, members):
                break
            members = nearest
            for j in range(k):
                mine = wh[members == j]
                if len(mine):
                    centroids[j] = mine.median(0).values
        score = float(mean_iou(wh, centroids))
        if score > best_score + 1e-12:
            best, best_score = centroids.clone(), score
    assert best is not None
    order = (best[:, 0] * best[:, 1]).argsort()
    return best[order].to(torch.float32), best_score


def decode_anchor_boxes(raw: torch.Tensor, anchors: torch.Tensor, stride: int) -> torch.Tensor:
    """YOLOv3 box decoding of one level (seed 000 §2, Redmon & Farhadi 2018) -> xyxy input pixels.

    b_x = (σ(t_x) + c_x)·s, b_y = (σ(t_y) + c_y)·s, b_w = p_w·e^{t_w}, b_h = p_h·e^{t_h}, with
    (c_x, c_y) the cell's top-left corner in cells, s the stride and (p_w, p_h) the anchor in pixels.
    t_w, t_h are clamped at 6 (e^6 ≈ 400 x the anchor) so an early outlier cannot overflow.

    raw: (B, A, H, W, 4) t_x, t_y, t_w, t_h; anchors: (A, 2) pixels. Returns (B, A, H, W, 4).
    """
    h, w = raw.shape[2:4]
    gy, gx = torch.meshgrid(
        torch.arange(h, device=raw.device, dtype=raw.dtype),
        torch.arange(w, device=raw.device, dtype=raw.dtype),
        indexing="ij",
    )
    cx = (raw[..., 0].sigmoid() + gx) * stride
    cy = (raw[..., 1].sigmoid() + gy) * stride
    size = raw[..., 2:4].clamp(max=6.0).exp() * anchors.view(1, -1, 1, 1, 2).to(raw.dtype)
    half = size / 2
    return torch.stack((cx - half[..., 0], cy - half[..., 1], cx + half[..., 0], cy + half[..., 1]), -1)
