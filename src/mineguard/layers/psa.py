"""Partial self-attention (PSA) of YOLOv10 (seed 001 §2).

Seed 001 expands PSA as "pyramid-split attention"; the YOLOv10 block it builds on is the
*partial* self-attention of Wang et al. (2024): half the channels pass unchanged, the other
half goes through multi-head self-attention and a feed-forward net. We implement the YOLOv10
block, since that is the network the paper modifies.
"""

from __future__ import annotations

import torch
from torch import nn

from mineguard.layers.conv import ConvBNAct


class MultiHeadSelfAttention(nn.Module):
    """Conv-projected MHSA over all H*W positions, plus a depthwise positional encoding.

    x: (B, C, H, W) -> (B, C, H, W). Keys and queries use ``attn_ratio`` of the head width.
    """

    def __init__(self, channels: int, *, num_heads: int = 8, attn_ratio: float = 0.5) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = channels // num_heads
        self.key_dim = int(self.head_dim * attn_ratio)
        self.scale = self.key_dim**-0.5
        qkv_channels = channels + 2 * self.key_dim * num_heads
        self.qkv = ConvBNAct(channels, qkv_channels, 1, act_layer=None)
        self.proj = ConvBNAct(channels, channels, 1, act_layer=None)
        self.pe = ConvBNAct(channels, channels, 3, groups=channels, act_layer=None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        n = h * w
        qkv = self.qkv(x).view(b, self.num_heads, 2 * self.key_dim + self.head_dim, n)
        q, k, v = qkv.split([self.key_dim, self.key_dim, self.head_dim], dim=2)
        attn = ((q.transpose(-2, -1) @ k) * self.scale).softmax(dim=-1)  # (B, heads, N, N)
        y = (v @ attn.transpose(-2, -1)).view(b, c, h, w) + self.pe(v.reshape(b, c, h, w))
        return self.proj(y)


class PSA(nn.Module):
    """Partial self-attention block: split, attention + FFN on one half, concat, 1x1 fuse."""

    def __init__(self, channels: int, *, expansion: float = 0.5) -> None:
        super().__init__()
        self.hidden = int(channels * expansion)
        self.cv1 = ConvBNAct(channels, 2 * self.hidden, 1)
        self.cv2 = ConvBNAct(2 * self.hidden, channels, 1)
        self.attn = MultiHeadSelfAttention(self.hidden, num_heads=max(1, self.hidden // 64), attn_ratio=0.5)
        self.ffn = nn.Sequential(
            ConvBNAct(self.hidden, self.hidden * 2, 1),
            ConvBNAct(self.hidden * 2, self.hidden, 1, act_layer=None),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.cv1(x).split((self.hidden, self.hidden), dim=1)
        b = b + self.attn(b)
        b = b + self.ffn(b)
        return self.cv2(torch.cat((a, b), 1))
