"""The numpy twins the ONNX runtime uses give the torch model's numbers: positional encoding, head mask, grouping."""
from __future__ import annotations

import numpy as np
import torch

from slimsep.models import geometry
from slimsep.models.config import get_config
from slimsep.models.dual_path import DualPathBlock
from slimsep.models.grouping import WidthGroups
from slimsep.models.transformer import sinusoidal_encoding
from slimsep.onnx.runtime import width_groups


def test_positional_encodings_agree() -> None:
    for length, dim in [(1, 2), (7, 32), (250, 256)]:
        ref = sinusoidal_encoding(length, dim, torch.device("cpu"), torch.float32).numpy()
        np.testing.assert_allclose(geometry.positional_encoding(length, dim), ref, rtol=0, atol=1e-4)  # float32 ulps


def test_head_masks_and_width_groups_agree() -> None:
    cfg = get_config("tiny", n_heads=4, widths=(0.0, 0.25, 0.5, 1.0))
    width_idx = torch.tensor([[3, 0, 1, 2, 1], [2, 2, 0, 3, 1]])
    B, C, K = *width_idx.shape, 6
    groups = WidthGroups.from_indices(width_idx, cfg.widths)
    d_max = geometry.attn_width(cfg, 1.0)
    ref = DualPathBlock(cfg)._head_mask(groups, B, C, K, d_max, torch.float32).numpy()
    np.testing.assert_array_equal(geometry.head_mask(cfg, width_idx.numpy(), K, d_max // cfg.attn_head_dim), ref)
    assert set(np.unique(ref)) == {0.0, np.float32(geometry.MASKED_BIAS)}
    order = groups.sort(torch.arange(B * C))  # stable sort by width index, as the runtime groups rows
    np.testing.assert_array_equal(np.concatenate([rows for _, rows in width_groups(width_idx.numpy().ravel(), 4)]),
                                  order.numpy())
