"""The complexity loss: right weights per chunk kind, silent guards, gradient to the gate probabilities."""
from __future__ import annotations

import pytest
import torch

from slimsep.losses import chunk_difficulty_weights, complexity_loss, expected_cost
from slimsep.losses.distillation import student_loss, teacher_targets
from slimsep.losses.sisdr import pit_si_sdr

SPANS = torch.tensor([[0, 100], [100, 200], [200, 300], [300, 400]])


def _refs() -> torch.Tensor:
    ref = torch.zeros(1, 2, 400)
    ref[0, 0, 100:400] = torch.randn(300)  # chunk 0 silent, chunk 1 single talker, chunks 2-3 both
    ref[0, 1, 200:400] = torch.randn(200)
    return ref


def test_weights_silent_easy_good_and_bad_chunks() -> None:
    ref = _refs()
    est = ref.clone()
    est[0, :, 300:400] += 3 * torch.randn(2, 100)  # chunk 3 badly separated
    w = chunk_difficulty_weights(est + 1e-3 * torch.randn_like(est), ref, SPANS)[0]
    assert w[0] == 1.0, "an all-silent chunk is the easiest"
    assert w[1] > 0.99 and w[2] > 0.99, "well-reconstructed chunks count as easy"
    assert w[3] < 0.01, "a badly reconstructed chunk is hard"


@pytest.mark.parametrize("gain", [1e-2, 20.0])
def test_weights_ignore_the_output_gain(gain: float) -> None:
    """SI-SDR training leaves the output's gain free; the difficulty of a chunk must not depend on it."""
    ref = _refs()
    est = ref + 0.05 * torch.randn_like(ref)
    est[0, :, 300:400] += 3 * torch.randn(2, 100)
    torch.testing.assert_close(chunk_difficulty_weights(gain * est, ref, SPANS),
                               chunk_difficulty_weights(est, ref, SPANS))
    w = chunk_difficulty_weights(gain * est, ref, SPANS)[0]
    assert w[1] > 0.99 and w[3] < 0.01


def test_all_silent_references_give_finite_weights() -> None:
    w = chunk_difficulty_weights(torch.randn(2, 2, 400), torch.zeros(2, 2, 400), SPANS)
    assert torch.isfinite(w).all() and (w == 1).all()


def test_gradient_reaches_probabilities_and_favours_cheap_widths() -> None:
    logits = torch.zeros(1, 1, 4, 3, requires_grad=True)  # [B, R, C, W]
    costs = torch.tensor([0.25, 0.5, 1.0])
    loss = complexity_loss(logits.softmax(-1), costs, torch.tensor([[1.0, 1.0, 0.0, 0.5]]))
    loss.backward()
    grad = logits.grad[0, 0]
    assert torch.isfinite(grad).all()
    assert grad[0, 2] > 0 > grad[0, 0], "descent moves probability from the full width to the slimmest"
    assert grad[2].abs().sum() == 0, "a hard chunk (weight 0) is not penalised"


def test_budget_form_pulls_towards_the_target() -> None:
    probs = torch.tensor([[[[0.0, 0.0, 1.0]]]])
    costs = torch.tensor([0.25, 0.5, 1.0])
    assert expected_cost(probs, costs).item() == 1.0
    assert complexity_loss(probs, costs, torch.ones(1, 1), target_cost=0.5).item() == 0.25


def test_distillation_pulls_towards_aligned_teacher() -> None:
    ref = torch.randn(2, 2, 800)
    full = ref.flip(1) + 0.1 * torch.randn_like(ref)  # full width outputs in swapped order
    _, perm = pit_si_sdr(full, ref)
    teacher = teacher_targets(full, perm)
    assert torch.allclose(teacher, full.flip(1))
    good = student_loss(teacher.flip(1), ref, teacher, alpha=0.5)
    bad = student_loss(torch.randn_like(ref), ref, teacher, alpha=0.5)
    assert good < bad


def test_teacher_term_is_capped() -> None:
    """Copying the teacher exactly is worth at most ``cap_db``: the unbounded reward collapsed stage 1."""
    ref = torch.randn(2, 2, 800)
    teacher = ref + 0.5 * torch.randn_like(ref)
    exact = student_loss(teacher, ref, teacher, alpha=1.0, cap_db=20.0)
    assert torch.isfinite(exact)
    assert exact.item() == pytest.approx(-20.0, abs=0.01)
    near = student_loss(teacher + 1e-3 * torch.randn_like(ref), ref, teacher, alpha=1.0, cap_db=20.0)
    assert -20.0 <= near.item() < -19.0
    far = student_loss(teacher + 0.3 * torch.randn_like(ref), ref, teacher, alpha=1.0, cap_db=20.0)
    assert far > near
