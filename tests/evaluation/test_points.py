"""Which operating points a model file is evaluated at, from its training stage."""
from __future__ import annotations

from pathlib import Path


def test_operating_points_follow_the_training_stage(tmp_path: Path) -> None:
    from slimsep.evaluation.points import operating_points
    from slimsep.models import DSN, get_config, save_model
    from slimsep.models.serialization import model_metadata

    model = DSN(get_config("tiny", widths=(0.0, 0.5, 1.0)))
    stage1 = save_model(model, tmp_path / "s1" / "model.pt", metadata={"stage": "slimmable"})
    gated = save_model(model, tmp_path / "g" / "model.pt", metadata={"stage": "gate"})
    static = save_model(model, tmp_path / "st" / "model.pt",
                        metadata={"stage": "static", "recipe": {"static": {"width": 0.5}}})

    def labels(path: Path, budgets: list[float], widths: list[float]) -> list[tuple[str, str]]:
        return [(p.label, p.kind) for p in operating_points(str(path), model, model_metadata(path), budgets, widths)]

    # Stage 1's gates are untrained: only static widths, by default every non-zero width of the model.
    assert labels(stage1, [0.0, 2.0], []) == [("s1 at 0.5", "slimmable"), ("s1 at 1", "slimmable")]
    assert labels(stage1, [0.0], [1.0]) == [("s1 at 1", "slimmable")]
    assert labels(gated, [0.0, 2.0], [0.5]) == [("g budget 0", "dsn"), ("g budget 2", "dsn"),
                                                ("g at 0.5", "slimmable")]
    assert labels(static, [0.0], [1.0]) == [("st (static 0.5)", "static")]
    assert labels(gated, [0.0], [0.25, 0.5]) == [("g budget 0", "dsn"), ("g at 0.5", "slimmable")]


def test_model_of_reads_back_the_labels_operating_points_write() -> None:
    """The trade-off plot groups points by model with it, so it must undo exactly the suffixes written above."""
    from slimsep.evaluation.points import model_of

    for label in ("run_1.5 budget 0", "run_1.5 budget 2.5", "run_1.5 at 0.125", "run_1.5 at 1", "run_1.5 budget 1e-05"):
        assert model_of(label) == "run_1.5"
    assert model_of("st (static 0.5)") == "st (static 0.5)"
    assert model_of("meeting at 3pm budget 0") == "meeting at 3pm"


def test_a_shipped_or_loose_model_file_is_labelled_by_its_name() -> None:
    from slimsep.evaluation.points import operating_points
    from slimsep.inference.pretrained import resolve
    from slimsep.models.serialization import load_model_and_metadata

    path = resolve("default")
    model, meta = load_model_and_metadata(path)
    assert [p.label for p in operating_points(str(path), model, meta, [0.0], [])] == ["default budget 0"]


def test_trained_width_follows_the_stage() -> None:
    """A static baseline runs at its own width, a stage-1 network at full width, a DSN as its gates decide."""
    from slimsep.evaluation.points import trained_width

    assert trained_width({"stage": "static", "recipe": {"static": {"width": 0.25}}}) == 0.25
    assert trained_width({"stage": "static"}) == 1.0
    assert trained_width({"stage": "slimmable"}) == 1.0
    assert trained_width({"stage": "gate"}) is None and trained_width({}) is None


def test_the_width_policy_loads_without_torch() -> None:
    """The inference and export commands read the policy; importing it must not pull in PyTorch or the metrics."""
    import subprocess
    import sys

    check = "import sys, slimsep.evaluation.points; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True).stdout == "False\n"
