"""The LightningModule: one class, three stages (docs/design.md §3).

- ``slimmable``: sandwich rule each step (full width vs the references; slimmest, random per-chunk widths and,
  optionally, whole intermediate widths vs the references and the full width's output), accumulated into one
  optimizer step.
- ``gate``: gates choose widths (Gumbel, straight-through); loss = separation + lambda * complexity, or
  (``gate.objective: regret``) the measured per-chunk regret of each width + lambda * cost.
- ``static``: one fixed width, the baselines.

Random widths come from a generator seeded by (seed, global step), so every DDP rank and a resumed run draw the
same ones.
"""
from __future__ import annotations

import logging
import math
import time
from typing import Any

import lightning as L
import torch

from slimsep.errors import first_line
from slimsep.losses import (chunk_difficulty_weights, chunk_errors, complexity_loss, pit_si_sdr, regret_loss,
                            reorder_sources, si_sdr, width_regret)
from slimsep.losses.distillation import student_loss, teacher_targets
from slimsep.models import DSN, ModelConfig, SeparationOutput, gmac_per_second
from slimsep.training.schedule import wsd_factor
from slimsep.training.sections import TrainConfig

log = logging.getLogger(__name__)


class SeparationModule(L.LightningModule):
    def __init__(self, model_config: dict, train_config: TrainConfig) -> None:
        super().__init__()
        # Checkpoints hold plain data only (they are read back with weights_only=True): the config as a dict.
        self.save_hyperparameters({"model_config": model_config, "train_config": train_config.to_dict()})
        self.model = DSN(ModelConfig.from_dict(model_config))
        self.tc = train_config
        self.stage = train_config.stage
        if self.stage != "gate":  # gates are trained in stage 2 only (DDP also rejects unused parameters)
            self.model.gates.requires_grad_(False)
        elif not train_config.gate.separator_lr:
            for name, p in self.model.named_parameters():
                p.requires_grad_(name.startswith("gates."))
        # A plain list, not an attribute module: the compiled wrapper must not add keys to the state dict.
        self._compiled: list[Any] = [torch.compile(self.model)] if train_config.trainer.compile else []
        self._t0: float | None = None
        # CPU seconds of this run (all threads of this process) spent in earlier processes (from the checkpoint it
        # resumed) and where this process's own count starts; see cpu_seconds.
        self._cpu_before, self._cpu_t0 = 0.0, time.process_time()

    # ---- forward ------------------------------------------------------------------------------
    def run_model(self, mix: torch.Tensor, widths: Any, **kwargs: Any) -> SeparationOutput:
        """The model's output with float32 estimates: under bf16 autocast the losses and metrics stay in float32.

        With ``trainer.compile`` the compiled model runs; if compiling fails, one warning and eager from then on.
        """
        out = None
        if self._compiled:
            try:
                out = self._compiled[0](mix, widths, **kwargs)
            except Exception as exc:  # noqa: BLE001 (any compiler failure: fall back, never stop the run)
                log.warning("torch.compile failed (%s); training continues without it", first_line(exc))
                self._compiled.clear()
        if out is None:
            out = self.model(mix, widths, **kwargs)
        out.estimates = out.estimates.float()
        return out

    # ---- helpers ------------------------------------------------------------------------------
    def _generator(self) -> torch.Generator:
        return torch.Generator().manual_seed(self.tc.seed * 1_000_003 + int(self.global_step))

    def _random_assignment(self, gen: torch.Generator, batch: int, n_samples: int) -> torch.Tensor:
        """Independent random width per (utterance, block, chunk): neighbouring chunks differ, as at inference."""
        shape = (batch, self.model.cfg.n_blocks, self.model.n_chunks(n_samples))
        return torch.randint(0, len(self.model.cfg.widths), shape, generator=gen).to(self.device)

    def _whole_widths(self, gen: torch.Generator, count: int) -> list[float]:
        """Intermediate widths run over the whole input (``sandwich.whole_widths``; off by default).

        Meant for the undertrained middle widths (on the open corpus the stage-1 network at 1/8 beat itself at 1/4
        and 1/2); in the one short CPU run measured it made no difference (docs/results_2026-11.md)."""
        inner = self.model.cfg.widths[1:-1]
        if not inner or count <= 0:
            return []
        picks = torch.randint(0, len(inner), (count,), generator=gen).tolist()
        return [inner[i] for i in picks]

    def tau(self) -> float:
        """Gumbel temperature, annealed exponentially from tau_start to tau_end over max_steps."""
        g, steps = self.tc.gate, max(1, self.tc.trainer.max_steps)
        frac = min(1.0, self.global_step / steps)
        return g.tau_start * (g.tau_end / g.tau_start) ** frac

    # ---- training -----------------------------------------------------------------------------
    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        mix, ref = batch
        step = {"slimmable": self._slimmable_step, "gate": self._gate_step, "static": self._static_step}
        return step[self.stage](mix, ref)

    def _slimmable_step(self, mix: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
        """Sandwich rule with manual accumulation: each width's graph is freed after its backward pass."""
        opt = self.optimizers()
        opt.zero_grad()
        widths, sw = self.model.cfg.widths, self.tc.sandwich
        full = self.run_model(mix, 1.0).estimates
        full_score, perm = pit_si_sdr(full, ref, mix=mix)
        self.manual_backward(-full_score.mean())
        teacher = teacher_targets(full, perm)
        gen = self._generator()
        narrow: list[Any] = [widths[0]] + [self._random_assignment(gen, mix.shape[0], mix.shape[-1])
                                           for _ in range(sw.random_widths)]
        narrow += self._whole_widths(gen, sw.whole_widths)
        losses = []
        for w in narrow:
            loss = student_loss(self.run_model(mix, w).estimates, ref, teacher, sw.distill, sw.distill_cap_db, mix)
            self.manual_backward(loss)
            losses.append(loss.detach())
        self._clip_and_step(opt)
        self.log_dict({"train/si_sdr_full": full_score.mean(), "train/loss_slimmest": losses[0]},
                      prog_bar=True, batch_size=mix.shape[0])
        return -full_score.mean().detach()

    def _gate_step(self, mix: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
        opt = self.optimizers()
        opt.zero_grad()
        out = self.run_model(mix, None, tau=self.tau())
        score, perm = pit_si_sdr(out.estimates, ref)
        extra = {}
        if self.tc.gate.objective == "regret":
            regret = regret_loss(out.gate_probs, self._regret_table(mix, ref))
            comp = self._cost_term(out.gate_probs, ref)
            loss, extra = regret + self.tc.gate.lambda_ * comp, {"train/regret": regret.detach()}
        else:
            loss, comp = self._gate_loss(out.estimates, out.gate_probs, ref, score, perm)
        self.manual_backward(loss)
        self._clip_and_step(opt)
        avg_cost = self.model.costs[out.width_idx].float().mean()
        self.log_dict({"train/si_sdr": score.mean(), "train/complexity": comp, "train/avg_cost": avg_cost,
                       "train/tau": self.tau(), **extra}, prog_bar=True, batch_size=mix.shape[0])
        return loss.detach()

    @torch.no_grad()
    def _regret_table(self, mix: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
        """Measured regret [B, R, C, W] in dB (``slimsep.losses.regret``): the frozen separator with each block in
        turn at each slimmer width and the others at full width, against the full-width run (1 + R (W - 1)
        forward passes, no backward)."""
        cfg, spans = self.model.cfg, self.model.chunk_spans(ref.shape[-1]).to(ref.device)

        def errors(widths: Any) -> torch.Tensor:
            est = self.run_model(mix, widths).estimates
            return chunk_errors(reorder_sources(est, pit_si_sdr(est, ref)[1]), ref, spans)

        full = errors(cfg.widths[-1])  # [B, C]
        (B, C), R, W = full.shape, cfg.n_blocks, len(cfg.widths)
        table = full[:, None, :, None].repeat(1, R, 1, W)
        for r in range(R):
            for k in range(W - 1):
                forced = torch.full((B, R, C), W - 1, dtype=torch.long, device=mix.device)
                forced[:, r] = k
                table[:, r, :, k] = errors(forced)
        return width_regret(table, full)

    def _cost_term(self, probs: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
        """The regret objective's price on compute: mean expected relative cost, or the budget form's squared
        distance from ``gate.target_cost``; every chunk alike (the regret already says where width pays)."""
        uniform = torch.ones(probs.shape[0], probs.shape[2], device=ref.device)
        return complexity_loss(probs, self.model.costs, uniform, self.tc.gate.target_cost)

    def _static_step(self, mix: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
        opt = self.optimizers()
        opt.zero_grad()
        score, _ = pit_si_sdr(self.run_model(mix, float(self.tc.static.width)).estimates, ref, mix=mix)
        self.manual_backward(-score.mean())
        self._clip_and_step(opt)
        self.log("train/si_sdr", score.mean(), prog_bar=True, batch_size=mix.shape[0])
        return -score.mean().detach()

    def _clip_and_step(self, opt: Any) -> None:
        clip = self.tc.optim.clip
        inner = getattr(opt, "optimizer", opt)
        if getattr(inner, "_step_supports_amp_scaling", False):
            # A fused optimizer: Lightning's AMP plugin refuses to clip for it (it would unscale fp16 gradients
            # itself); fused is only chosen without a gradient scaler (_fused), so the gradients are true ones.
            if clip:
                torch.nn.utils.clip_grad_norm_([p for g in inner.param_groups for p in g["params"]], clip)
        else:
            self.clip_gradients(opt, gradient_clip_val=clip, gradient_clip_algorithm="norm")
        opt.step()
        self.lr_schedulers().step()

    # ---- validation ---------------------------------------------------------------------------
    def validation_widths(self) -> float | None:
        return {"slimmable": 1.0, "gate": None, "static": float(self.tc.static.width)}[self.stage]

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        mix, ref = batch
        out = self.run_model(mix, self.validation_widths())
        score, perm = pit_si_sdr(out.estimates, ref)
        base = si_sdr(mix.unsqueeze(1).expand_as(ref), ref).mean(-1)
        n = mix.shape[-1]
        gmacs = [gmac_per_second(self.model.cfg, w.cpu().numpy(), n, gated=self.stage == "gate") for w in out.width_idx]
        metrics = {"val/si_sdri": (score - base).mean(), "val/gmac_per_s": sum(gmacs) / len(gmacs),
                   "val/avg_width": torch.tensor(self.model.cfg.widths, device=mix.device)[out.width_idx].mean()}
        if self.stage == "slimmable":
            slim, _ = pit_si_sdr(self.run_model(mix, self.model.cfg.widths[0]).estimates, ref)
            metrics["val/si_sdri_slimmest"] = (slim - base).mean()
        if self.stage == "gate":  # checkpoints are picked by it: SI-SDRi alone favours the most compute
            chosen = torch.nn.functional.one_hot(out.width_idx, len(self.model.cfg.widths)).float()
            metrics["val/loss"] = self._gate_loss(out.estimates, chosen, ref, score, perm)[0]
        self.log_dict(metrics, prog_bar=True, batch_size=mix.shape[0], sync_dist=True)

    def _gate_loss(self, estimates: torch.Tensor, probs: torch.Tensor, ref: torch.Tensor, score: torch.Tensor,
                   perm: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(-SI-SDR + lambda * complexity, complexity) for width probabilities ``probs`` [B, R, C, W]: the gates'
        straight-through probabilities in training, the one-hot widths they chose in validation."""
        g = self.tc.gate
        if g.objective == "regret":
            comp = self._cost_term(probs, ref)
            return -score.mean() + g.lambda_ * comp, comp
        spans = self.model.chunk_spans(ref.shape[-1]).to(ref.device)
        weights = chunk_difficulty_weights(reorder_sources(estimates, perm), ref, spans, g.q0, g.q_scale)
        comp = complexity_loss(probs, self.model.costs, weights, g.target_cost)
        return -score.mean() + g.lambda_ * comp, comp

    # ---- optimisation -------------------------------------------------------------------------
    def configure_optimizers(self) -> dict:
        o, separator_lr = self.tc.optim, self.tc.gate.separator_lr
        if self.stage == "gate" and separator_lr:
            gates = [p for n, p in self.model.named_parameters() if n.startswith("gates.")]
            rest = [p for n, p in self.model.named_parameters() if not n.startswith("gates.")]
            groups = [{"params": gates, "lr": o.lr}, {"params": rest, "lr": separator_lr}]
        else:
            groups = [{"params": [p for p in self.model.parameters() if p.requires_grad], "lr": o.lr}]
        opt = torch.optim.AdamW(groups, weight_decay=o.weight_decay, fused=self._fused(groups) or None)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, self._lr_factor)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    def _fused(self, groups: list[dict]) -> bool:
        """``optim.fused``: auto = the fused AdamW kernel (one launch for all parameters) when they are on CUDA and
        no fp16 gradient scaler is in use; true/false force it."""
        choice = self.tc.optim.fused
        precision = str(self._trainer.precision) if getattr(self, "_trainer", None) is not None else ""
        if choice != "auto" or precision in ("16-mixed", "16", "16-true"):
            return choice is True
        params = [p for g in groups for p in g["params"]]
        return bool(params) and all(p.is_cuda for p in params)

    def on_train_start(self) -> None:
        self._t0 = time.monotonic()
        self._cpu_t0 = time.process_time()

    # ---- CPU time ------------------------------------------------------------------------------
    def cpu_seconds(self) -> float:
        """CPU seconds this run has trained for, over every process that resumed it [s]: ``time.process_time``
        (user + system time of all of this process's threads) since training started, plus what the checkpoint it
        resumed from had counted. Why: a CPU campaign reports its curve against CPU hours (issue 27), which wall
        time on a shared machine overstates. One rank's count under DDP."""
        return self._cpu_before + time.process_time() - self._cpu_t0

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["cpu_seconds"] = self.cpu_seconds()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self._cpu_before = float(checkpoint.get("cpu_seconds", 0.0))  # 0 for checkpoints from before the count

    def on_validation_epoch_end(self) -> None:
        if not self.trainer.sanity_checking:
            self.log("val/cpu_hours", self.cpu_seconds() / 3600)

    def _time_fraction(self) -> float:
        """Share of ``trainer.max_time`` (seconds) used so far, for ``optim.schedule_by_time``; else 0."""
        limit = self.tc.trainer.max_time
        if not self.tc.optim.schedule_by_time or self._t0 is None or not isinstance(limit, (int, float)):
            return 0.0
        return (time.monotonic() - self._t0) / max(1e-9, float(limit))

    def _lr_factor(self, step: int) -> float:
        """Linear warm-up, then cosine decay to ``min_lr_ratio`` over max_steps (or the time budget, if sooner);
        ``schedule: constant`` stays at the peak after the warm-up, until an optional cool-down
        (``optim.decay_start``, ``optim.decay_steps``; :func:`slimsep.training.schedule.wsd_factor`)."""
        o, total = self.tc.optim, max(1, self.tc.trainer.max_steps)
        if o.schedule == "constant":
            return wsd_factor(step, o.warmup_steps, o.decay_start, o.decay_steps, o.min_lr_ratio)
        if step < o.warmup_steps:
            return (step + 1) / o.warmup_steps
        frac = min(1.0, max((step - o.warmup_steps) / max(1, total - o.warmup_steps), self._time_fraction()))
        return o.min_lr_ratio + (1 - o.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * frac))

    @property
    def automatic_optimization(self) -> bool:  # several backward passes per step (sandwich rule)
        return False
