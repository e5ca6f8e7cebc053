"""The convolutional intra-chunk layer (``intra_type: conv``): its config checks, its width slicing, and that it
sees each chunk alone."""
from __future__ import annotations

import pytest
import torch

from slimsep.errors import SlimsepError
from slimsep.models import get_config
from slimsep.models.conv_block import SlimConvLayer


@pytest.mark.parametrize(("options", "message"), [({"conv_kernel": 4}, "conv_kernel must be odd"),
                                                  ({"conv_kernel": "5"}, "conv_kernel must be a whole number"),
                                                  ({"intra_type": "lstm"}, "intra_type must be transformer or conv")])
def test_bad_conv_options_are_one_line_errors(options: dict, message: str) -> None:
    with pytest.raises(SlimsepError, match=message):
        get_config("tiny", **options)


def test_a_narrow_width_uses_only_the_leading_hidden_channels() -> None:
    """Width u reads only the first round(u * ffn_dim) hidden channels: changing the others changes nothing."""
    cfg = get_config("tiny", intra_type="conv", ffn_dim=16)
    layer = SlimConvLayer(cfg, dilation=2).eval()
    rows = torch.randn(3, cfg.chunk_size, cfg.d_model)
    with torch.no_grad():
        before = layer(rows, 0.25)
        layer.depthwise[4:].normal_()
        layer.inp.weight[4:].normal_()
        layer.out.weight[:, 4:].normal_()
        torch.testing.assert_close(layer(rows, 0.25), before)
        assert not torch.allclose(layer(rows, 1.0), before)
        torch.testing.assert_close(layer(rows, 0.0), rows)


def test_rows_are_independent() -> None:
    """Each chunk is convolved on its own (zero padding at its edges), so grouping chunks by width is exact."""
    cfg = get_config("tiny", intra_type="conv")
    layer = SlimConvLayer(cfg, dilation=4).eval()
    rows = torch.randn(4, cfg.chunk_size, cfg.d_model)
    with torch.no_grad():
        torch.testing.assert_close(layer(rows, 1.0)[1:2], layer(rows[1:2], 1.0))
