"""Stage 1 then stage 2 end to end, and the complexity loss doing its job on generated data."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import torch

from slimsep.cli.main import main
from slimsep.data.synthetic import SyntheticSpec, make_example, talker_spans
from slimsep.errors import SlimsepError
from slimsep.models import DSN, gmac_per_second, load_model
from slimsep.models.serialization import model_metadata
from slimsep.training import load_config, train
from slimsep.training.run import wall_clock_limit
from tests.training.conftest import QUIET, REPO, run_stage

SPEC = SyntheticSpec(seconds=2.0, overlap=0.25, lead_silence=0.8)


@pytest.mark.slow
def test_stage1_model_loads_and_records_its_recipe(stage1_model: Path) -> None:
    model = load_model(stage1_model)
    meta = model_metadata(stage1_model)
    assert meta["stage"] == "slimmable" and meta["steps"] == 30
    assert meta["recipe"]["data"]["corpus"] == "synthetic"
    out = model(torch.randn(4000), 0.25)
    assert out.estimates.shape == (1, 2, 4000) and torch.isfinite(out.estimates).all()
    assert (stage1_model.parent / "config.yaml").is_file()
    assert (stage1_model.parent / "checkpoints" / "last.ckpt").is_file()


def _gate_stats(path: Path) -> tuple[float, float, float]:
    """Expected relative cost in silent and in overlapped chunks, and GMAC/s, on held-out generated mixtures."""
    model = load_model(path)
    (a, b), (c, _) = talker_spans(SPEC)
    silent, overlap, gmacs = [], [], []
    for seed in range(3_000_000, 3_000_008):
        mix, _ = make_example(SPEC, seed)
        with torch.inference_mode():
            out = model(mix)
        cost = (out.gate_probs[0] * model.costs).sum(-1).mean(0)  # [C]
        for k, (s, e) in enumerate(model.chunk_spans(mix.shape[-1]).tolist()):
            if e <= a:
                silent.append(cost[k].item())
            elif s >= c and e <= b:
                overlap.append(cost[k].item())
        gmacs.append(gmac_per_second(model.cfg, out.width_idx[0].numpy(), mix.shape[-1], gated=True))
    return float(np.mean(silent)), float(np.mean(overlap)), float(np.mean(gmacs))


@pytest.mark.slow
def test_complexity_loss_makes_easy_chunks_slim(stage1_model: Path, tmp_path: Path) -> None:
    runs = {lam: run_stage("tiny_synthetic_gate.yaml", tmp_path / f"lambda{lam}", f"init_from={stage1_model}",
                           f"gate.lambda={lam}", "trainer.max_steps=120", "trainer.val_check_interval=120")
            for lam in (0.0, 1.0)}
    silent, overlap, gmac_on = _gate_stats(runs[1.0])
    _, _, gmac_off = _gate_stats(runs[0.0])
    assert silent < overlap - 0.05, f"silent chunks ({silent:.2f}) should cost less than overlapped ({overlap:.2f})"
    assert gmac_on < gmac_off, f"lambda>0 should save compute ({gmac_on:.4f} vs {gmac_off:.4f} GMAC/s)"


def test_regret_table_measures_each_block_at_each_width_against_full_width() -> None:
    from slimsep.losses import chunk_errors, pit_si_sdr, reorder_sources, width_regret
    from slimsep.models import get_config
    from slimsep.training.module import SeparationModule

    cfg = load_config(REPO / "configs" / "tiny_synthetic_gate.yaml", ["init_from=unused.pt", "gate.objective=regret"])
    module = SeparationModule(get_config("tiny").to_dict(), cfg).eval()
    mix, ref = make_example(SPEC, 5)
    mix, ref = mix[None], ref[None]
    table = module._regret_table(mix, ref)
    R, W, C = module.model.cfg.n_blocks, len(module.model.cfg.widths), module.model.n_chunks(mix.shape[-1])
    assert table.shape == (1, R, C, W) and torch.all(table[..., -1] == 0)
    spans = module.model.chunk_spans(mix.shape[-1])

    def errors(widths: object) -> torch.Tensor:
        with torch.no_grad():
            est = module.model(mix, widths).estimates
        return chunk_errors(reorder_sources(est, pit_si_sdr(est, ref)[1]), ref, spans)

    forced = torch.full((1, R, C), W - 1)
    forced[:, R - 1] = 0  # the last block at the slimmest width, the others full
    expected = width_regret(errors(forced)[:, None, :, None], errors(1.0))[0, 0, :, 0]
    torch.testing.assert_close(table[0, R - 1, :, 0], expected)
    assert table[0, :, :, :-1].abs().sum() > 0


@pytest.mark.slow
def test_regret_objective_makes_silent_chunks_slim(stage1_model: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """``gate.objective: regret``: the gates follow the measured regret. The 30-step network gains nothing from
    width anywhere, so the table is replaced by one where the slimmest width loses 2 dB of the utterance's SI-SDR,
    shared by its chunks with sound, and nothing in silent ones: at a price of 1 dB per unit of mean cost, silent
    chunks must go slim and the others stay wide."""
    from slimsep.losses import chunk_energies
    from slimsep.training.module import SeparationModule

    def table(self: SeparationModule, mix: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
        energy = chunk_energies(mix, self.model.chunk_spans(mix.shape[-1]))  # [B, C]
        sound = (energy > 1e-6 * energy.amax(-1, keepdim=True)).float()
        loss = 2.0 * (1 - self.model.costs) / (1 - self.model.costs[0])  # 2 dB at the slimmest, 0 at full width
        share = sound / sound.sum(-1, keepdim=True) / self.model.cfg.n_blocks  # [B, C], summing to 1 / R
        return (share[:, None, :, None] * loss).expand(-1, self.model.cfg.n_blocks, -1, -1)

    monkeypatch.setattr(SeparationModule, "_regret_table", table)
    path = run_stage("tiny_synthetic_gate.yaml", tmp_path / "regret", f"init_from={stage1_model}",
                     "gate.objective=regret", "gate.lambda=1.0", "trainer.max_steps=120",
                     "trainer.val_check_interval=120")
    silent, overlap, _ = _gate_stats(path)
    assert silent < overlap - 0.05, f"silent chunks ({silent:.2f}) should cost less than overlapped ({overlap:.2f})"
    metrics = (path.parent / "logs").rglob("metrics.csv")
    assert any("train/regret" in m.read_text().splitlines()[0] for m in metrics)
    assert model_metadata(path)["recipe"]["gate"]["objective"] == "regret"


@pytest.mark.slow
def test_gate_stage_from_the_cli(stage1_model: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str],
                                 recwarn: pytest.WarningsRecorder) -> None:
    """... and its output is about the run: no advert from Lightning, no deprecation warning it triggers."""
    code = main(["train", "--config", "configs/tiny_synthetic_gate.yaml", "-o", str(tmp_path / "gate"),
                 "--set", f"init_from={stage1_model}", "--set", "trainer.max_steps=4",
                 "--set", "trainer.val_check_interval=4", "--set", "trainer.enable_progress_bar=false"])
    assert code == 0
    assert model_metadata(tmp_path / "gate" / "model.pt")["stage"] == "gate"
    out, err = capfd.readouterr()
    assert "Tip:" not in out + err and "LeafSpec" not in out + err
    assert not [w for w in recwarn if "LeafSpec" in str(w.message)]


@pytest.mark.slow
def test_gates_can_train_on_a_subset_of_the_widths(stage1_model: Path, tmp_path: Path) -> None:
    """``gate.widths`` carries the stage-1 separator over unchanged and gives gates over the kept widths only."""
    path = run_stage("tiny_synthetic_gate.yaml", tmp_path / "gate", f"init_from={stage1_model}",
                     "gate.widths=[0.25,1.0]", "trainer.max_steps=4", "trainer.val_check_interval=4")
    model, start = load_model(path), load_model(stage1_model)
    assert model.cfg.widths == (0.25, 1.0) and model.gates[0].out.out_features == 2
    mix = torch.randn(4000)
    with torch.inference_mode():
        torch.testing.assert_close(model(mix, 0.25).estimates, start(mix, 0.25).estimates)

def test_static_baseline_trains_one_width(tmp_path: Path) -> None:
    path = run_stage("tiny_synthetic.yaml", tmp_path / "static", "stage=static", "static.width=0.5",
                     "trainer.max_steps=4", "trainer.val_check_interval=4")
    assert model_metadata(path)["recipe"]["static"]["width"] == 0.5


def test_bad_configs_are_clear_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--config", "configs/tiny_synthetic_gate.yaml", "-o", str(tmp_path / "g"),
                 "--set", "init_from=null"]) == 2
    assert "stage 'gate' needs init_from" in capsys.readouterr().err
    assert main(["train", "--config", str(tmp_path / "none.yaml"), "-o", str(tmp_path / "x")]) == 2
    assert "config file not found" in capsys.readouterr().err



@pytest.mark.parametrize("override, message", [
    ("data.corpus=wsj0-mix", "unknown corpus"),
    ("init_from=missing/model.pt", "missing/model.pt does not exist"),
    ("init_from=missing/last.ckpt", "missing/last.ckpt does not exist"),
])
def test_a_run_that_cannot_start_leaves_no_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  override: str, message: str) -> None:
    """Bad data or starting weights fail before the run folder is made, so no half-made run is left behind."""
    out = tmp_path / "run"
    assert main(["train", "--config", "configs/tiny_synthetic.yaml", "-o", str(out), "--set", override]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()

def test_gates_refuse_a_static_network(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Gates on a one-width model would route chunks to widths that never trained: a clear error, no folder."""
    static = run_stage("tiny_synthetic.yaml", tmp_path / "static", "stage=static", "trainer.max_steps=2",
                       "trainer.val_check_interval=2")
    out = tmp_path / "gates"
    assert main(["train", "--config", "configs/tiny_synthetic_gate.yaml", "-o", str(out),
                 "--set", f"init_from={static}"]) == 2
    assert "is a static model (trained at one width); the gates need a stage-1" in capsys.readouterr().err
    assert not out.exists()


def test_wall_clock_limit_accepts_seconds_and_lightning_strings() -> None:
    assert wall_clock_limit(None) is None
    assert wall_clock_limit(90) == timedelta(seconds=90)
    assert wall_clock_limit(load_config(None, ["trainer.max_time=1:30"]).trainer.max_time) == timedelta(
        seconds=90)  # YAML reads 1:30 as sexagesimal 90
    assert wall_clock_limit("00:00:01:30") == "00:00:01:30"
    with pytest.raises(SlimsepError, match="max_time"):
        wall_clock_limit(-5)


def test_max_time_stops_a_run_and_still_exports(tmp_path: Path) -> None:
    """A run cut by its wall-clock budget still writes a loadable model with the steps it reached."""
    path = run_stage("tiny_synthetic.yaml", tmp_path / "timed", "trainer.max_steps=100000",
                     "trainer.val_check_interval=100000", "trainer.max_time=2")
    steps = model_metadata(path)["steps"]
    assert 0 < steps < 100000


@pytest.mark.slow
def test_sandwich_runs_whole_intermediate_widths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``sandwich.whole_widths`` adds passes at a whole intermediate width; the default adds none."""
    seen: dict[str, list] = {}
    forward = DSN.forward

    def spy(self: DSN, mix: torch.Tensor, widths: object = None, *args: object, **kwargs: object) -> object:
        if self.training:
            seen[key].append(widths)
        return forward(self, mix, widths, *args, **kwargs)

    monkeypatch.setattr(DSN, "forward", spy)
    for key, whole in (("off", 0), ("on", 2)):
        seen[key] = []
        run_stage("tiny_synthetic.yaml", tmp_path / key, f"sandwich.whole_widths={whole}", "trainer.max_steps=2",
                  "trainer.val_check_interval=2", "trainer.limit_val_batches=1")
    widths = load_model(tmp_path / "on" / "model.pt").cfg.widths
    floats = {k: [w for w in v if isinstance(w, float)] for k, v in seen.items()}
    assert floats["off"] == [1.0, widths[0]] * 2
    inner = [w for w in floats["on"] if w not in (1.0, widths[0])]
    assert len(inner) == 4 and set(inner) <= set(widths[1:-1])


@pytest.mark.slow
def test_gate_checkpoints_are_chosen_by_quality_and_compute(stage1_model: Path, tmp_path: Path) -> None:
    """The gate stage's validation loss charges the widths chosen, so the widest checkpoint does not win by default."""
    from slimsep.losses import pit_si_sdr
    from slimsep.training.module import SeparationModule

    cfg = load_config(REPO / "configs" / "tiny_synthetic_gate.yaml", ["gate.lambda=1.0"])
    module = SeparationModule(load_model(stage1_model).cfg.to_dict(), cfg)
    mix, ref = make_example(SPEC, 7)
    mix, ref = mix.unsqueeze(0), ref.unsqueeze(0)
    estimates = module.model(mix, 1.0).estimates.detach()
    score, perm = pit_si_sdr(estimates, ref)
    shape = (1, module.model.cfg.n_blocks, module.model.n_chunks(mix.shape[-1]))
    n_widths = len(module.model.cfg.widths)
    chosen = {k: torch.nn.functional.one_hot(torch.full(shape, k), n_widths).float() for k in (0, n_widths - 1)}
    cost = {k: module._gate_loss(estimates, probs, ref, score, perm)[0].item() for k, probs in chosen.items()}
    assert cost[0] < cost[len(module.model.cfg.widths) - 1], cost

    path = run_stage("tiny_synthetic_gate.yaml", tmp_path / "gate", f"init_from={stage1_model}",
                     "trainer.max_steps=4", "trainer.val_check_interval=2")
    meta = model_metadata(path)
    assert meta["selected_by"] == "val/loss" and isinstance(meta["val_loss"], float)


def test_data_at_another_rate_than_the_model_is_refused(tmp_path: Path) -> None:
    """A 16 kHz model on the (8 kHz) synthetic data: one line before the run folder exists, not a run."""
    cfg = load_config(REPO / "configs" / "tiny_synthetic.yaml", [*QUIET, "model.overrides.sample_rate=16000",
                                                                 "trainer.max_steps=2"])
    with pytest.raises(SlimsepError, match="8000 Hz.*16000 Hz"):
        train(cfg, tmp_path / "run")
    assert not (tmp_path / "run").exists()
