"""Training objectives: SI-SDR with PIT, in-place distillation, the signal-dependent complexity loss, and the gates'
measured per-chunk regret."""
from slimsep.losses.complexity import (chunk_difficulty_weights, chunk_energies, chunk_quality, complexity_loss,
                                       expected_cost, silent_references)
from slimsep.losses.distillation import student_loss, teacher_targets
from slimsep.losses.regret import chunk_errors, regret_loss, width_regret
from slimsep.losses.sisdr import pairwise_si_sdr, pit_si_sdr, reorder_sources, si_sdr

__all__ = ["chunk_difficulty_weights", "chunk_energies", "chunk_errors", "chunk_quality", "complexity_loss",
           "expected_cost", "pairwise_si_sdr", "pit_si_sdr", "regret_loss", "reorder_sources", "si_sdr",
           "silent_references", "student_loss", "teacher_targets", "width_regret"]
