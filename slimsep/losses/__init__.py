"""Training objectives: SI-SDR with PIT, in-place distillation, the signal-dependent complexity loss."""
from slimsep.losses.sisdr import pairwise_si_sdr, pit_si_sdr, reorder_sources, si_sdr

__all__ = ["pairwise_si_sdr", "pit_si_sdr", "reorder_sources", "si_sdr"]
