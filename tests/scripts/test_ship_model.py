"""``scripts/ship_model.py``: the model card says what the shipped network is and how its gates were trained."""
from __future__ import annotations

from slimsep.models import get_config
from tests.scripts import load_script


def test_card_names_the_layer_types_and_the_gate_loss_form() -> None:
    """The card once called every network a transformer ("8 heads") and every gate run "lambda = ...", which was
    wrong for the conv `small` and for gates trained in the budget form."""
    ship = load_script("ship_model")
    meta = {"recipe": {"init_from": "snapshots/s1.pt", "gate": {"lambda": 50.0, "target_cost": 0.75}},
            "command": "slimsep train", "steps": 300, "reproduce": "scripts/reproduce_campaign.sh",
            "data": {"task": "sep_noisy", "splits": {}}}
    card = ship.model_card("default", meta, get_config("small").to_dict())
    assert "intra-chunk 4 conv layers (kernel 5), inter-chunk 2 transformer layers (2 heads)" in card
    assert "budget form (target mean relative width 0.75, lambda = 50.0)" in card
    plain = ship.model_card("default", {**meta, "recipe": {"gate": {"lambda": 0.5}}},
                            get_config("small_transformer").to_dict())
    assert "intra-chunk 2 transformer layers (8 heads)" in plain and "complexity loss, lambda = 0.5" in plain
    regret = ship.model_card("default", {**meta, "recipe": {"gate": {"lambda": 50.0, "target_cost": 0.8125,
                                                                    "objective": "regret"}}},
                             get_config("small").to_dict())
    assert "gates trained with the regret objective (each width's measured per-chunk SI-SDR loss) in its budget " \
           "form (target mean relative width 0.8125, lambda = 50.0)" in regret and "complexity" not in regret


def test_shipped_metadata_names_no_folder_of_the_training_machine() -> None:
    ship = load_script("ship_model")
    meta = {"command": "slimsep train -o /work/runs/gate --set data.root=/work/data/open_corpus_v2",
            "recipe": {"model": {"name": "tiny"}, "init_from": "/work/runs/s1/model.pt",
                       "data": {"corpus": "open", "root": "/work/data/open_corpus_v2"}}}
    out = ship.portable_metadata(meta, "small")
    assert "/work" not in str(out) and out["command"] == "slimsep train -o runs/gate --set data.root=corpus"
    assert out["recipe"]["model"]["name"] == "small" and out["recipe"]["data"]["root"] == "corpus"
    assert meta["recipe"]["data"]["root"].startswith("/work")  # the run's own metadata is left as it was


def test_card_of_a_v3_model_names_its_corpora_and_their_attributions(tmp_path) -> None:  # noqa: ANN001
    """Issue 44: the licences of the voices folder (CC BY 4.0 for LibriSpeech, the speechocean762 notice) ask for
    attribution; the card gives it, and a split of hundreds of speakers is counted per source, not listed."""
    import json

    ship = load_script("ship_model")
    speakers = {f"librispeech_{i}": "f" for i in range(30)} | {f"speechocean762_{i:04d}": "m" for i in range(20)}
    (tmp_path / "summary.json").write_text(json.dumps({
        "version": 3, "splits": {"speech_train": {"hours": 2.0, "files": 9, "speakers": speakers}},
        "voices": {"licences": {"librispeech": ["CC BY 4.0"], "speechocean762": ["Apache-2.0"]}}}))
    data = ship.data_description({"data": {"corpus": "open", "task": "sep_noisy", "root": str(tmp_path)}})
    meta = {"recipe": {"gate": {"lambda": 1.0}}, "command": "slimsep train", "steps": 1,
            "reproduce": "scripts/reproduce_campaign.sh", "data": data}
    card = ship.model_card("default", meta, get_config("small").to_dict())
    assert "- train: 2.00 h, 50 speakers (30 librispeech, 20 speechocean762)" in card
    assert "LibriSpeech (CC BY 4.0): V. Panayotov" in card and "speechocean762: An Open-Source" in card
