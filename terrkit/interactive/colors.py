"""Territory colours: one distinct colour per territory, neighbours as different as possible.

Colours are drawn from a qualitative palette (hues spread by the golden angle, three lightness levels)
and given out greedily: territories with the most neighbours first, each taking the free colour that is
farthest (in hue and lightness) from the colours of its neighbours.
"""

from __future__ import annotations

import colorsys
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

_GOLDEN = 0.6180339887498949


def palette(k: int) -> list[str]:
    """``k`` distinct mid-saturation colours as ``#rrggbb``."""
    out = []
    for i in range(k):
        hue = (0.08 + i * _GOLDEN) % 1.0
        light = (0.62, 0.48, 0.74)[i % 3]
        sat = (0.62, 0.55, 0.5)[(i // 3) % 3]
        r, g, b = colorsys.hls_to_rgb(hue, light, sat)
        out.append(f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}")
    return out


def _features(colors: list[str]) -> np.ndarray:
    rgb = np.array([[int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)] for c in colors])
    hls = np.array([colorsys.rgb_to_hls(*x) for x in rgb])
    angle = 2 * np.pi * hls[:, 0]
    return np.column_stack([np.cos(angle) * hls[:, 2], np.sin(angle) * hls[:, 2], 2 * hls[:, 1]])


def territory_colors(
    territories: Sequence[str], labels: np.ndarray | None = None, adjacency: sp.spmatrix | None = None
) -> dict[str, str]:
    """A colour per territory; with unit labels and the unit graph, neighbouring territories differ.

    Parameters
    ----------
    territories : sequence of str
        Territory names.
    labels : array (n,), optional
        Territory index of every unit.
    adjacency : sparse (n, n), optional
        Unit graph.
    """
    k = len(territories)
    colors = palette(k)
    if labels is None or adjacency is None or k < 2:
        return dict(zip(territories, colors, strict=True))
    a = sp.coo_matrix(adjacency)
    lab = np.asarray(labels)
    tr, tc = lab[a.row], lab[a.col]
    keep = tr != tc
    tgraph = sp.csr_matrix((np.ones(keep.sum()), (tr[keep], tc[keep])), shape=(k, k))
    tgraph = (tgraph + tgraph.T) > 0
    feats = _features(colors)
    free = list(range(k))
    chosen = np.full(k, -1)
    degree = np.asarray(tgraph.sum(axis=1)).ravel()
    for t in np.argsort(-degree, kind="stable"):
        nb = tgraph[t].indices
        used = chosen[nb][chosen[nb] >= 0]
        if len(used):
            d = np.linalg.norm(feats[free][:, None, :] - feats[used][None, :, :], axis=2).min(axis=1)
            pick = free[int(np.argmax(d))]
        else:
            pick = free[0]
        chosen[t] = pick
        free.remove(pick)
    return {territories[t]: colors[chosen[t]] for t in range(k)}
