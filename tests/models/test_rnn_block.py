"""The BiLSTM inter-chunk layer (``inter_type: lstm``): its config checks, its MAC count, that it connects chunks
in both directions, and that grouped execution still equals running each chunk's intra stack alone (the static path:
tests/models/test_grouped_execution.py)."""
from __future__ import annotations

import pytest
import torch

from slimsep.errors import SlimsepError
from slimsep.models import DSN, count_macs, get_config
from slimsep.models.dual_path import DualPathBlock
from slimsep.models.macs import measured_macs
from slimsep.models.transformer import sinusoidal_encoding
from tests.conftest import randomise

LSTM = {"inter_type": "lstm", "slim_inter": False, "lstm_hidden": 24, "inter_layers": 2}


@pytest.mark.parametrize(("options", "message"), [({"inter_type": "gru", "slim_inter": False},
                                                   "inter_type must be transformer or lstm"),
                                                  ({"inter_type": "lstm"}, "set slim_inter to false"),
                                                  ({**LSTM, "lstm_hidden": 0}, "lstm_hidden must be a whole number")])
def test_bad_lstm_options_are_one_line_errors(options: dict, message: str) -> None:
    with pytest.raises(SlimsepError, match=message):
        get_config("tiny", **options)


@pytest.mark.parametrize("width", [0.125, 1.0])
def test_macs_match_counter_plus_the_lstm_weights(width: float) -> None:
    """PyTorch's counter skips the fused LSTM kernel; every LSTM weight is one MAC per token and direction."""
    model = DSN(get_config("tiny", n_heads=4, **LSTM)).eval()
    n = 2400
    tokens = model.n_chunks(n) * model.cfg.chunk_size
    lstm = sum(p.numel() for name, p in model.named_parameters() if ".lstm.weight_" in name) * tokens
    assert count_macs(model.cfg, width, n) == measured_macs(model, torch.randn(1, n), width) + lstm


def test_inter_layer_connects_chunks_both_ways() -> None:
    """A change in the last chunk reaches the first chunk's output and vice versa (bidirectional recurrence)."""
    block = randomise(DualPathBlock(get_config("tiny", **LSTM))).eval()
    x = torch.randn(1, 4, block.cfg.chunk_size, block.cfg.d_model)
    for changed, seen in ((-1, 0), (0, -1)):
        y = x.clone()
        y[:, changed] += 1.0
        with torch.no_grad():
            diff = (block.forward_static(y, 1.0) - block.forward_static(x, 1.0))[:, seen].abs().max()
        assert diff > 1e-4


def test_grouped_block_equals_per_chunk_reference() -> None:
    """Intra stack per chunk at its own width, then the inter stack over all chunks at full width."""
    cfg = get_config("tiny", widths=(0.0, 0.25, 1.0), intra_layers=2, n_heads=4, **LSTM)
    block = randomise(DualPathBlock(cfg)).eval()
    B, C, K, D = 2, 5, cfg.chunk_size, cfg.d_model
    x = torch.randn(B, C, K, D)
    index = torch.tensor([[2, 0, 1, 2, 0], [1, 1, 2, 0, 2]])
    with torch.no_grad():
        want = torch.stack([torch.stack([block.intra_rows(x[b, c:c + 1], cfg.widths[index[b, c]])[0]
                                         for c in range(C)]) for b in range(B)])
        seq = (want + sinusoidal_encoding(C, D, x.device, x.dtype)[None, :, None]).transpose(1, 2).reshape(B * K, C, D)
        for layer in block.inter:
            seq = layer(seq)
        want = seq.reshape(B, K, C, D).transpose(1, 2)
        torch.testing.assert_close(block.forward_grouped(x, index), want, rtol=1e-4, atol=1e-4)

