"""Model parts: config, slimmable layers, gate, dual-path blocks, the DSN, MAC counts, serialisation."""
from slimsep.models.config import NAMED_CONFIGS, ModelConfig, get_config
from slimsep.models.dsn import DSN, SeparationOutput
from slimsep.models.macs import count_macs, gmac_per_second, width_costs
from slimsep.models.serialization import load_model, save_model

__all__ = ["DSN", "ModelConfig", "NAMED_CONFIGS", "SeparationOutput", "count_macs", "get_config",
           "gmac_per_second", "load_model", "save_model", "width_costs"]
