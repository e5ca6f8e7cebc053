"""Model configuration: every hyper-parameter needed to rebuild a DSN, serialisable to a plain dict."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from slimsep.errors import SlimsepError


def _same_width(a: float, b: float) -> bool:
    """Widths come from YAML, the CLI and float16 files: compare them with a tolerance."""
    return abs(a - b) < 1e-6


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of a Dynamic Slimmable Network (see docs/design.md §2).

    ``widths`` are the utilisation factors the slimmable layers can run at, ascending; 0.0 means
    "skip the slimmable layers for this chunk". ``slim_inter`` lets the per-token parts of the
    inter-chunk layers (Q/K/V/output projections and FFN) follow each chunk's width, with attention
    across chunks kept over every head that any chunk uses (docs/design.md "Mind Amdahl").

    ``stack_norm`` and ``final_norm`` (docs/training.md, "Recipe controls") default to False so that model files
    written before they existed load and run exactly as before: a pre-LN stack without them feeds its growing,
    un-normalised residual stream straight to the next stack and to the mask projection.
    """

    sample_rate: int = 8000
    n_src: int = 2
    n_filters: int = 256  # N, encoder channels
    kernel_size: int = 16  # L, encoder window; stride L/2
    d_model: int = 256  # D, separator width (residual stream, never slimmed)
    n_heads: int = 8
    head_dim: int | None = None  # default d_model // n_heads
    ffn_dim: int = 1024
    chunk_size: int = 250  # K frames per chunk, hop K/2
    n_blocks: int = 2  # R dual-path blocks
    intra_layers: int = 8
    intra_type: str = "transformer"  # "conv": Conv-TasNet blocks inside each chunk (slimsep.models.conv_block)
    conv_kernel: int = 5  # depthwise kernel of the "conv" intra layers [frames]; odd
    inter_layers: int = 8
    inter_type: str = "transformer"  # "lstm": DPRNN's BiLSTM across chunks (slimsep.models.rnn_block), full width
    lstm_hidden: int = 128  # units per direction of the "lstm" inter layers
    widths: tuple[float, ...] = (0.125, 0.25, 0.5, 1.0)
    slim_inter: bool = True
    mask_act: str = "relu"
    in_norm: str = "frame"  # "frame": LayerNorm per encoder frame; "global": over channels and time (gLN)
    stack_norm: bool = False  # x + LayerNorm(stack(x + pos)) around each intra and inter stack (SepFormer, DPTNet)
    final_norm: bool = False  # LayerNorm on the separator output before the PReLU and mask projection
    gate_hidden: int = 64
    gate_init_bias: float = 2.0  # initial logit advantage of the full width, so gates start wide
    name: str = "custom"
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = _range_problems(self)  # first: the checks below divide by some of these
        if problems:
            raise SlimsepError("invalid model config: " + "; ".join(problems))
        widths = tuple(float(w) for w in self.widths)
        object.__setattr__(self, "widths", widths)
        if list(widths) != sorted(set(widths)) or not widths or widths[-1] != 1.0:
            problems.append(f"widths must be ascending, unique and end at 1.0, got {widths}")
        if any(w < 0 or w > 1 for w in widths):
            problems.append(f"widths must lie in [0, 1], got {widths}")
        if self.kernel_size % 2 or self.chunk_size % 2:
            problems.append("kernel_size and chunk_size must be even (50 % overlap)")
        if self.head_dim is None and self.d_model % self.n_heads:
            problems.append(f"d_model {self.d_model} not divisible by n_heads {self.n_heads}")
        if self.mask_act not in ("relu", "sigmoid"):
            problems.append(f"mask_act must be relu or sigmoid, got {self.mask_act!r}")
        if self.intra_type not in ("transformer", "conv"):
            problems.append(f"intra_type must be transformer or conv, got {self.intra_type!r}")
        if self.inter_type not in ("transformer", "lstm"):
            problems.append(f"inter_type must be transformer or lstm, got {self.inter_type!r}")
        if self.inter_type == "lstm" and self.slim_inter:
            problems.append("inter_type lstm runs at full width: set slim_inter to false")
        if self.conv_kernel % 2 == 0:
            problems.append(f"conv_kernel must be odd (same-length convolution), got {self.conv_kernel}")
        if self.in_norm not in ("frame", "global"):
            problems.append(f"in_norm must be frame or global, got {self.in_norm!r}")
        if problems:
            raise SlimsepError("invalid model config: " + "; ".join(problems))

    @property
    def attn_head_dim(self) -> int:
        return self.head_dim or self.d_model // self.n_heads

    @property
    def attn_dim(self) -> int:
        return self.n_heads * self.attn_head_dim

    def heads_at(self, width: float) -> int:
        """Attention heads used at a width: the first ceil(u * heads)."""
        return 0 if width == 0 else max(1, math.ceil(width * self.n_heads - 1e-9))

    def ffn_at(self, width: float) -> int:
        """FFN hidden units used at a width: the first round(u * ffn_dim), at least one."""
        return 0 if width == 0 else max(1, round(width * self.ffn_dim))

    def has_width(self, width: float) -> bool:
        return any(_same_width(w, width) for w in self.widths)

    def width_index(self, width: float) -> int:
        for i, w in enumerate(self.widths):
            if _same_width(w, width):
                return i
        raise SlimsepError(f"width {width} is not one of the model's widths {self.widths}")

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["widths"] = list(self.widths)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SlimsepError(f"unknown model config keys: {', '.join(unknown)}")
        return cls(**data)

    def replace(self, **changes: Any) -> "ModelConfig":
        return dataclasses.replace(self, **changes)


POSITIVE_INTS = ("sample_rate", "n_src", "n_filters", "kernel_size", "d_model", "n_heads", "ffn_dim", "chunk_size",
                 "n_blocks", "intra_layers", "inter_layers", "gate_hidden", "conv_kernel",
                 "lstm_hidden")


def _range_problems(cfg: ModelConfig) -> list[str]:
    """Sizes and the rate must be whole numbers >= 1 (a file or manifest with ``sample_rate: 0`` would divide by
    zero deep in the separator), the gate bias finite."""
    problems = [f"{name} must be a whole number >= 1, got {getattr(cfg, name)!r}" for name in POSITIVE_INTS
                if not _positive_int(getattr(cfg, name))]
    if cfg.head_dim is not None and not _positive_int(cfg.head_dim):
        problems.append(f"head_dim must be null or a whole number >= 1, got {cfg.head_dim!r}")
    if not isinstance(cfg.gate_init_bias, (int, float)) or not math.isfinite(cfg.gate_init_bias):
        problems.append(f"gate_init_bias must be a finite number, got {cfg.gate_init_bias!r}")
    widths = cfg.widths if isinstance(cfg.widths, (list, tuple)) else [cfg.widths]
    if not all(isinstance(w, (int, float)) and not isinstance(w, bool) and math.isfinite(w) for w in widths):
        problems.append(f"widths must be a list of numbers, got {cfg.widths!r}")
    return problems


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


NAMED_CONFIGS: dict[str, dict[str, Any]] = {
    # SepFormer-sized, for GPU training (docs/design.md §2).
    # in_norm "global" (gLN) for both: +0.8 dB SI-SDRi on validation voices after 1500 steps in the recipe
    # controls (docs/training.md); files saved before it existed keep "frame".
    "paper": dict(n_filters=256, d_model=256, n_heads=8, ffn_dim=1024, chunk_size=250,
                  n_blocks=2, intra_layers=8, inter_layers=8, gate_hidden=64, in_norm="global"),
    # Trains on a CPU in hours. L=32 (2 ms hop) halves the frames: 2.2x faster steps on a CPU. Four slimmable
    # Conv-TasNet blocks inside each chunk (intra_type "conv"), two transformer layers of 2 heads across chunks:
    # +1.3 / +0.5 dB SI-SDRi on training / validation voices over "small_transformer" after 1,500 steps of batch
    # 4 x 4 s at the same CPU seconds per step and 0.65x its MACs (issue 25's controls, docs/training.md).
    "small": dict(n_filters=128, kernel_size=32, d_model=128, n_heads=2, ffn_dim=256, chunk_size=100,
                  n_blocks=2, intra_layers=4, intra_type="conv", inter_layers=2, gate_hidden=32, in_norm="global"),
    # "small" until 2026-12-06: transformer layers inside each chunk too. The shipped default and the first campaign
    # network have this architecture (their files carry it, so they load whatever "small" names).
    "small_transformer": dict(n_filters=128, kernel_size=32, d_model=128, n_heads=8, ffn_dim=512, chunk_size=100,
                              n_blocks=2, intra_layers=2, inter_layers=2, gate_hidden=32, in_norm="global"),
    # For tests and smoke runs: seconds per step.
    "tiny": dict(n_filters=32, d_model=32, n_heads=2, ffn_dim=64, chunk_size=40,
                 n_blocks=1, intra_layers=1, inter_layers=1, gate_hidden=16),
}


def get_config(name: str, **overrides: Any) -> ModelConfig:
    """A named configuration with optional overrides, e.g. ``get_config("small", sample_rate=16000)``."""
    if name not in NAMED_CONFIGS:
        raise SlimsepError(f"unknown model config {name!r}; choose from {', '.join(NAMED_CONFIGS)}")
    return ModelConfig(**{**NAMED_CONFIGS[name], "name": name, **overrides})
