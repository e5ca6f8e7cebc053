"""The audio examples page: per condition a few mixtures with players and the gate's widths over time.

Self-contained static HTML: WAV files and PNG figures beside ``index.html``, relative links, no scripts from the
network, so it can be opened from disk or published as is.
"""
from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from slimsep.atomic import write_text_atomic
from slimsep.audio import match_mixture_level, write_audio
from slimsep.data.conditions import parse_condition
from slimsep.evaluation.metrics import separation_metrics
from slimsep.models import DSN, count_macs
from slimsep.progress import each

# Records on <body> how many players loaded their audio and how many figures rendered, so a headless browser
# (tests/evaluation/test_demo_page.py) can check the page; it loads nothing itself.
SELF_CHECK = """<script>
window.addEventListener("load", () => {
  const audios = [...document.querySelectorAll("audio")], images = [...document.querySelectorAll("img")];
  let loaded = 0;
  const record = () => { document.body.dataset.audioLoaded = loaded + "/" + audios.length; };
  audios.forEach(a => {
    if (a.readyState >= 1) { loaded++; } else { a.addEventListener("loadedmetadata", () => { loaded++; record(); }); }
  });
  document.body.dataset.imagesRendered =
    images.filter(i => i.complete && i.naturalWidth > 0).length + "/" + images.length;
  record();
});
</script>"""

STYLE = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
.example{border-top:1px solid #ddd;padding:1em 0}.players{display:flex;flex-wrap:wrap;gap:1em}
.players figure{margin:0}figcaption{font-size:0.85em}img{max-width:100%}"""


def width_figure(mix: np.ndarray, width_idx: np.ndarray, spans: np.ndarray, widths: tuple, sr: int,
                 path: Path) -> Path:
    """Waveform on top, each chunk's width (mean over blocks) as a step line below, on one time axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = np.arange(mix.size) / sr
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 3), dpi=100, sharex=True,
                                      gridspec_kw={"height_ratios": [2, 1]})
    top.plot(t, mix, lw=0.5, color="#345")
    top.set_ylabel("mixture")
    values = np.asarray(widths)[width_idx].mean(0)
    centres = spans.mean(1) / sr
    bottom.step(centres, values, where="mid", color="#c50")
    bottom.set_ylim(0, 1.05)
    bottom.set_yticks(sorted(set(widths) | {0.0}))
    bottom.set_ylabel("width")
    bottom.set_xlabel("time [s]")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _pcm(audio: np.ndarray) -> np.ndarray:
    """Browser-friendly 16-bit copy, scaled down only if it would clip (the page is for listening)."""
    peak = float(np.abs(audio).max())
    return audio / peak * 0.99 if peak > 0.99 else audio


def render_example(model: DSN, mix: torch.Tensor, ref: torch.Tensor, budget: float, folder: Path,
                   stem: str) -> dict:
    with torch.inference_mode():
        out = model(mix, None, budget=budget)
    est = out.estimates[0]
    width_idx = out.width_idx[0].numpy()
    sr = model.cfg.sample_rate
    level = match_mixture_level(est.numpy(), mix.numpy())  # players at the mixture's level, as slimsep separate
    files = {"mixture": mix.numpy(), "reference 1": ref[0].numpy(), "reference 2": ref[1].numpy(),
             "estimate 1": level[0], "estimate 2": level[1]}
    names = {}
    for label, audio in files.items():
        name = f"{stem}_{label.replace(' ', '')}.wav"
        write_audio(folder / name, _pcm(audio), sr, subtype="PCM_16")
        names[label] = name
    figure = width_figure(mix.numpy(), width_idx, model.chunk_spans(mix.shape[-1]).numpy(), model.cfg.widths, sr,
                          folder / f"{stem}_widths.png")
    scores = separation_metrics(est, ref, mix, sdr=False)
    gmac = count_macs(model.cfg, width_idx, mix.shape[-1], gated=True) / 1e9 / (mix.shape[-1] / sr)
    return {"stem": stem, "audio": names, "figure": figure.name, "si_sdri": scores["si_sdri"], "gmac_per_s": gmac}


def _example_html(condition: str, ex: dict) -> str:
    players = "".join(
        f'<figure><figcaption>{html.escape(label)}</figcaption>'
        f'<audio controls preload="auto" src="{condition}/{html.escape(name)}"></audio></figure>'
        for label, name in ex["audio"].items())
    return (f'<div class="example"><h3>{html.escape(ex["stem"])}: SI-SDRi {ex["si_sdri"]:.1f} dB, '
            f'{ex["gmac_per_s"]:.2f} GMAC/s</h3><div class="players">{players}</div>'
            f'<img src="{condition}/{html.escape(ex["figure"])}" alt="waveform and gate widths of '
            f'{html.escape(ex["stem"])}" width="800" height="300"></div>')


def conditions_for_task(datasets: dict[str, Dataset], task: str) -> dict[str, Dataset]:
    """The conditions worth a section: on the clean task the noise-activity folders hold the same kind of clean
    mixture as ``na0``, so a section named ``na50`` or ``na100`` would play clean audio under a noisy label."""
    if task != "sep_clean":
        return datasets
    return {name: d for name, d in datasets.items() if (parse_condition(name) or (0.0, 0.0))[1] == 0}


def build_demo_page(model: DSN, datasets: dict[str, Dataset], out: Path, per_condition: int = 2,
                    budget: float = 0.0, title: str = "slimsep audio examples", model_name: str = "",
                    task: str = "", quiet: bool = True) -> Path:
    """Write ``out/index.html`` with its audio and figures; returns the page path. ``model_name``: the name the
    user gave (``default``, a file), shown beside the architecture; ``quiet`` False: a progress bar."""
    datasets = conditions_for_task(datasets, task)
    sections, summary = [], []
    jobs = [(c, i) for c, d in datasets.items() for i in range(min(per_condition, len(d)))]
    rendered = {(c, i): render_example(model, *datasets[c][i], budget, _folder(out, c), f"ex{i}")
                for c, i in each(jobs, "examples", quiet=quiet, unit="example")}
    for condition, dataset in datasets.items():
        examples = [rendered[condition, i] for i in range(min(per_condition, len(dataset)))]
        summary.append((condition, np.mean([e["si_sdri"] for e in examples]),
                        np.mean([e["gmac_per_s"] for e in examples]), len(examples)))
        sections.append(f'<h2 id="{condition}">{condition}</h2>' + "".join(_example_html(condition, e)
                                                                          for e in examples))
    rows = "".join(f'<tr><td><a href="#{c}">{c}</a></td><td>{s:.2f}</td><td>{g:.3f}</td><td>{n}</td></tr>'
                   for c, s, g, n in summary)
    page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
            f"<p>{_model_line(model, model_name)}, gate budget {budget:g}{_task_line(task)}. Condition names: "
            f"ov = speaker overlap %, na = noise activity %. Under each example: the mixture and the width the "
            f"gates chose for each chunk (mean over blocks).</p>"
            f"<table><tr><th>condition</th><th>SI-SDRi [dB]</th><th>GMAC/s</th><th>examples</th></tr>{rows}"
            f"</table>{''.join(sections)}{SELF_CHECK}</body></html>\n")
    return write_text_atomic(out / "index.html", page)


def _folder(out: Path, condition: str) -> Path:
    folder = out / condition
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _model_line(model: DSN, model_name: str) -> str:
    """``Model default (a `small` network)``: the name the user chose, and the architecture it is."""
    arch = f"<code>{html.escape(model.cfg.name)}</code>"
    return f"Model <code>{html.escape(model_name)}</code> (a {arch} network)" if model_name else f"Model {arch}"


def _task_line(task: str) -> str:
    return {"sep_clean": ", clean mixtures (no noise; so only the na0 conditions)",
            "sep_noisy": ", noisy mixtures"}.get(task, "")
