"""The cross-modal attention model of seed 003 §3.2: per-modality encoders, attention fusion, two task heads.

Architecture (d = ``d_model``)::

    sensors (B, T, S) ──► [value | observed], patches of ``sensor_patch`` steps ─► Linear ─► + time emb
                          ─► Transformer ─► T/p tokens
    vision  (B, T, V) ──► log1p counts, pooled by ``vision_pool`` steps ─► Linear ─► + time emb ─► T/p tokens
    text    (B, D)    ──► Linear ─► 1 token
    each token + its modality embedding

    cross-modal attention: every token attends to the tokens of the OTHER modalities present
        (a block mask; a missing modality's tokens are keys nobody sees), + residual, LayerNorm, FFN
    fusion: two learned task queries (hazard, risk) attend over all present tokens and a learned
        "nothing" token (so a sample with every modality missing still has something to attend to)
    heads: hazard identification (len(HAZARDS) logits), risk level forecast (len(RISK_LEVELS) logits)

Missing modalities are handled by masks, never by zeros the model could mistake for readings:
``present`` (B, 3) switches a modality's tokens off, and ``observed`` (a NaN reading) is an input
feature of each sensor step. ``modality_dropout`` removes available modalities at random during
training (never all of them), so the model does not lean on one stream it may lose underground
(seed 003 §5.2: sensor failures, camera blind spots). ``class_weights`` gives the class-weighted
cross-entropy weights for rare hazards (§3.2, "weighted loss function strategies").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mineguard.warning.multimodal import HAZARDS, MODALITIES, RISK_LEVELS


@dataclass(frozen=True)
class FusionConfig:
    n_channels: int
    n_vision: int
    text_dim: int
    window_steps: int
    d_model: int = 64
    n_heads: int = 4
    sensor_layers: int = 2
    fusion_layers: int = 1
    sensor_patch: int = 4
    vision_pool: int = 4
    dropout: float = 0.1
    modalities: tuple[str, ...] = MODALITIES  # the modalities this model uses (ablations drop some)

    def __post_init__(self) -> None:
        unknown = set(self.modalities) - set(MODALITIES)
        if not self.modalities or unknown:
            raise ValueError(f"modalities must be a non-empty subset of {MODALITIES}, got {self.modalities}")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model ({self.d_model}) must be a multiple of n_heads ({self.n_heads})")
        if self.window_steps % self.sensor_patch:
            raise ValueError(
                f"window_steps ({self.window_steps}) must be a multiple of sensor_patch ({self.sensor_patch})"
            )
        if self.window_steps % self.vision_pool:
            raise ValueError(
                f"window_steps ({self.window_steps}) must be a multiple of vision_pool ({self.vision_pool})"
            )

    def as_dict(self) -> dict:
        return {**asdict(self), "modalities": list(self.modalities)}


ENCODERS: dict[str, tuple[str, ...]] = {  # the parameters (state-dict prefixes) of each modality's own encoder
    "sensors": ("sensor_in.", "sensor_pos", "sensor_encoder."),
    "vision": ("vision_in.", "vision_pos"),
    "text": ("text_in.",),
}


class CrossModalBlock(nn.Module):
    """Attention of each token to the tokens of other modalities (``allowed`` is (L, L) bool: may attend)."""

    def __init__(self, d: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(d, heads, dropout=dropout, batch_first=True)
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.ffn = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Dropout(dropout), nn.Linear(2 * d, d))

    def forward(self, x: torch.Tensor, key_visible: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
        # blocked[b, i, j]: token i may not look at token j (same modality, or j's modality is missing)
        blocked = ~(allowed.unsqueeze(0) & key_visible.unsqueeze(1))
        no_key = blocked.all(dim=-1, keepdim=True)  # nothing to look at: keep the token as it is
        blocked = blocked & ~no_key  # (attend to anything, then zero the update below)
        heads = self.attn.num_heads
        mask = blocked.repeat_interleave(heads, dim=0)
        update, _ = self.attn(x, x, x, attn_mask=mask, need_weights=False)
        update = update.masked_fill(no_key, 0.0)
        x = self.norm1(x + update)
        return self.norm2(x + self.ffn(x))


class CrossModalFusion(nn.Module):
    def __init__(self, config: FusionConfig) -> None:
        super().__init__()
        c, d = config, config.d_model
        self.config = c
        self.sensor_tokens = c.window_steps // c.sensor_patch
        self.sensor_in = nn.Linear(2 * c.n_channels * c.sensor_patch, d)
        self.sensor_pos = nn.Parameter(torch.randn(1, self.sensor_tokens, d) * 0.02)
        layer = nn.TransformerEncoderLayer(d, c.n_heads, 2 * d, c.dropout, batch_first=True, norm_first=True)
        self.sensor_encoder = nn.TransformerEncoder(layer, c.sensor_layers, enable_nested_tensor=False)
        self.vision_tokens = c.window_steps // c.vision_pool
        self.vision_in = nn.Sequential(nn.Linear(c.n_vision, d), nn.GELU(), nn.Linear(d, d))
        self.vision_pos = nn.Parameter(torch.randn(1, self.vision_tokens, d) * 0.02)
        self.text_in = nn.Sequential(nn.Linear(c.text_dim, d), nn.GELU(), nn.Linear(d, d))
        self.modality_emb = nn.Parameter(torch.randn(len(MODALITIES), d) * 0.02)
        self.cross = nn.ModuleList(CrossModalBlock(d, c.n_heads, c.dropout) for _ in range(c.fusion_layers))
        self.queries = nn.Parameter(torch.randn(2, d) * 0.02)  # hazard, risk
        self.nothing = nn.Parameter(torch.zeros(1, 1, d))
        self.pool = nn.MultiheadAttention(d, c.n_heads, dropout=c.dropout, batch_first=True)
        self.pool_norm = nn.LayerNorm(d)
        self.hazard_head = nn.Sequential(nn.Dropout(c.dropout), nn.Linear(d, len(HAZARDS)))
        self.risk_head = nn.Sequential(nn.Dropout(c.dropout), nn.Linear(d, len(RISK_LEVELS)))
        lengths = {"sensors": self.sensor_tokens, "vision": self.vision_tokens, "text": 1}
        owner = torch.cat([torch.full((lengths[m],), i) for i, m in enumerate(MODALITIES)])
        self.register_buffer("owner", owner, persistent=False)  # modality index of each token
        self.register_buffer("allowed", owner.unsqueeze(0) != owner.unsqueeze(1), persistent=False)
        used = torch.tensor([m in c.modalities for m in MODALITIES])
        self.register_buffer("used", used, persistent=False)

    def load_encoder(self, other: CrossModalFusion, modality: str) -> None:
        """Copy ``modality``'s encoder (``ENCODERS``) and modality embedding from ``other`` (per-modality
        pre-training: ``fusion_pretrain``); everything else stays as it is."""
        if modality not in ENCODERS:
            raise ValueError(f"unknown modality '{modality}'; choose from {MODALITIES}")
        mine, theirs = self.state_dict(), other.state_dict()
        for key, value in theirs.items():
            if key.startswith(ENCODERS[modality]):
                mine[key] = value.clone()
        i = MODALITIES.index(modality)
        mine["modality_emb"][i] = theirs["modality_emb"][i]
        self.load_state_dict(mine)

    def forward(
        self,
        sensors: torch.Tensor,
        observed: torch.Tensor,
        vision: torch.Tensor,
        text: torch.Tensor,
        present: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised inputs (see ``fusion_train.Normaliser``): sensors (B, T, S) with 0 where not observed,
        observed (B, T, S) 0/1, vision (B, T, V), text (B, D), present (B, 3) bool.
        Returns hazard logits (B, len(HAZARDS)) and risk logits (B, len(RISK_LEVELS))."""
        b, t, _ = sensors.shape
        if t != self.config.window_steps:
            raise ValueError(f"expected windows of {self.config.window_steps} steps, got {t}")
        if "sensors" in self.config.modalities:
            s = torch.cat([sensors, observed], dim=-1).reshape(b, self.sensor_tokens, -1)
            s = self.sensor_encoder(self.sensor_in(s) + self.sensor_pos)
        else:  # its tokens are never seen: skip the costly encoder (vision- or text-only pre-training)
            s = sensors.new_zeros(b, self.sensor_tokens, self.config.d_model)
        v = vision.reshape(b, self.vision_tokens, self.config.vision_pool, -1).mean(dim=2)
        v = self.vision_in(v) + self.vision_pos
        x = self.text_in(text).unsqueeze(1)
        tokens = torch.cat([s, v, x], dim=1) + self.modality_emb[self.owner]
        visible = (present.bool() & self.used)[:, self.owner]  # (B, L)
        for block in self.cross:
            tokens = block(tokens, visible, self.allowed)
        keys = torch.cat([self.nothing.expand(b, 1, -1), tokens], dim=1)
        hidden = torch.cat([torch.zeros(b, 1, dtype=torch.bool, device=keys.device), ~visible], dim=1)
        pooled, _ = self.pool(self.queries.expand(b, -1, -1), keys, keys, key_padding_mask=hidden, need_weights=False)
        pooled = self.pool_norm(pooled + self.queries)
        return self.hazard_head(pooled[:, 0]), self.risk_head(pooled[:, 1])


def modality_dropout(present: torch.Tensor, p: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Drop each available modality with probability ``p``; a sample keeps at least one it had."""
    if not 0.0 <= p < 1.0:
        raise ValueError(f"modality dropout must be in [0, 1), got {p}")
    present = present.bool()
    if p == 0.0:
        return present
    drop = torch.rand(present.shape, generator=generator) < p
    kept = present & ~drop
    lost_all = ~kept.any(dim=1) & present.any(dim=1)
    if lost_all.any():  # give back one of the modalities it had, chosen at random
        scores = torch.rand(present.shape, generator=generator).masked_fill(~present, -1.0)
        back = F.one_hot(scores.argmax(dim=1), present.shape[1]).bool()
        kept = torch.where(lost_all.unsqueeze(1), back, kept)
    return kept


def class_weights(labels: np.ndarray, n_classes: int, *, power: float = 1.0, cap: float = 20.0) -> np.ndarray:
    """Cross-entropy weights ``(N / (K * n_k)) ** power`` for the K classes seen (all 1 when balanced), capped at
    ``cap``; a class absent from ``labels`` gets 0 (nothing of it is ever seen). ``power`` 0.5 softens them."""
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=n_classes).astype(np.float64)
    if counts.size != n_classes:
        raise ValueError(f"labels hold classes >= n_classes ({n_classes})")
    present = counts > 0
    weights = np.zeros(n_classes)
    weights[present] = (counts.sum() / (present.sum() * counts[present])) ** power
    return np.minimum(weights, cap).astype(np.float32)
