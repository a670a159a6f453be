"""The generator on plain transformers + torch, from a GGUF converted once into a cache.

transformers reads GGUF files (with the ``gguf`` package) by de-quantizing every tensor
to float32, which takes half a minute for the 135M model and reads its tokenizer from
the GGUF metadata. That is too slow for every start of the action server, so it happens
once: the converted model and tokenizer are saved to

    var/models/generator-<hash of the GGUF file and the conversion settings>/

(``SHOPBOT_MODELS_DIR`` moves it; git-ignored) and loaded from there afterwards in a
second or two. The conversion shows progress (a step bar and transformers' own bar over
the tensors) and is atomic: a process that dies halfway leaves no half cache behind. A
Hugging Face model directory (``SHOPBOT_GENERATOR_MODEL=/path/to/dir``, a fine-tuned
model later) is loaded as it is, without conversion.

``SHOPBOT_GENERATOR_QUANTIZE=int8`` turns the linear layers into dynamic int8 after
loading (``quantize_int8``): decoding on a CPU is bound by the bytes of weights read per
token, so it is about 1.7x faster, and greedy output changes a little.

Decoding is our own loop over the model's forward pass rather than ``generate()``: it
keeps the KV cache, reuses the cached keys and values of the fixed system message
(prefix caching: the system turn is computed once per process), applies the repetition
penalty to the reply's own tokens only (a penalty on the prompt would punish copying a
product name from the facts, which is exactly what a reply should do), stops at the
deadline, and measures the time to the first token.

The GGUF's tokenizer metadata says which token ends a turn; transformers' GGUF reader
takes the wrong one for SmolLM2 (``<|im_start|>`` as end of sequence), so the conversion
sets the special tokens from the metadata itself.
"""

import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, List, Optional, Sequence

from bot.generation.prompt import Prompt
from bot.generation.runtime import (
    DEADLINE, LENGTH, STOP, Deadline, Generation, GenerationSettings, Generator, models_dir,
)

logger = logging.getLogger(__name__)

CONVERSION_REV = 1  # bump when the conversion below changes: a new cache directory
DONE_FILE = "conversion.json"  # written last; its presence means the cache is complete


def _say(message: str, progress: bool) -> None:
    if progress:
        print(f"[generator] {message}", file=sys.stderr, flush=True)


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def conversion_dir(gguf: Path, directory: Optional[Path] = None) -> Path:
    """Where the conversion of ``gguf`` is cached: keyed by the file's content, the
    conversion revision and the transformers version that reads it."""
    import transformers

    key = hashlib.sha256(f"{_file_digest(gguf)} {CONVERSION_REV} {transformers.__version__}".encode())
    return Path(directory or models_dir()) / f"generator-{key.hexdigest()[:12]}"


def _gguf_special_tokens(gguf: Path) -> dict:
    """The special tokens a GGUF's metadata names (eos, bos, pad, unknown) as strings."""
    from gguf import GGUFReader

    reader = GGUFReader(str(gguf))
    field = reader.fields.get("tokenizer.ggml.tokens")
    if field is None:
        return {}
    tokens = field.data

    def token(key: str) -> Optional[str]:
        entry = reader.fields.get(f"tokenizer.ggml.{key}")
        if entry is None:
            return None
        index = int(entry.parts[entry.data[0]][0])
        if not 0 <= index < len(tokens):
            return None
        return bytes(field.parts[tokens[index]]).decode("utf-8")

    named = {"eos_token": token("eos_token_id"), "bos_token": token("bos_token_id"),
             "pad_token": token("padding_token_id"), "unk_token": token("unknown_token_id")}
    return {name: value for name, value in named.items() if value}


def convert_gguf(gguf: Path, target: Optional[Path] = None, progress: bool = True) -> Path:
    """The cached conversion of ``gguf`` (made now if missing); returns its directory."""
    gguf = Path(gguf)
    target = Path(target or conversion_dir(gguf))
    if (target / DONE_FILE).is_file():
        return target
    import torch
    from tqdm.auto import tqdm
    from transformers import AutoModelForCausalLM, AutoTokenizer

    _say(f"converting {gguf.name} once into {target} (about half a minute on 2 CPUs)", progress)
    started = time.perf_counter()
    steps = tqdm(total=3, desc="converting the generator", unit="step", disable=not progress, file=sys.stderr)
    steps.set_postfix_str("tokenizer")
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    special = _gguf_special_tokens(gguf)
    tokenizer.add_special_tokens({k: v for k, v in special.items() if k != "pad_token"})
    tokenizer.pad_token = special.get("pad_token") or tokenizer.eos_token
    steps.update()
    steps.set_postfix_str("weights")
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    eos_id = tokenizer.convert_tokens_to_ids(tokenizer.eos_token)
    model.generation_config.eos_token_id = eos_id
    model.generation_config.pad_token_id = tokenizer.convert_tokens_to_ids(tokenizer.pad_token)
    model.config.eos_token_id = eos_id
    steps.update()
    steps.set_postfix_str("saving")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        import transformers

        (staging / DONE_FILE).write_text(json.dumps({
            "source": gguf.name, "sha256": _file_digest(gguf), "conversion_rev": CONVERSION_REV,
            "transformers": transformers.__version__, "special_tokens": special,
        }, indent=2))
        try:
            os.replace(staging, target)  # atomic: a concurrent reader sees all or nothing
        except OSError:
            if not (target / DONE_FILE).is_file():  # another process won the race
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    steps.update()
    steps.close()
    _say(f"converted in {time.perf_counter() - started:.0f} s", progress)
    return target


def model_directory(config: GenerationSettings, progress: bool = True) -> Path:
    """A loadable Hugging Face directory for the configured model (converting a GGUF), with
    the fine-tuned adapter merged in when present (``bot.generation.finetune``)."""
    source = config.model_path()
    if source.is_dir():
        base = source
    elif source.suffix.lower() != ".gguf" or not source.is_file():
        raise FileNotFoundError(f"generator model {source} is neither a GGUF file nor a model directory")
    else:
        base = convert_gguf(source, progress=progress)
    # the fine-tuned weights when an adapter for this base is present (SHOPBOT_GENERATOR_FINETUNED=off: stock)
    from bot.generation.finetune import finetuned_directory

    return finetuned_directory(base, progress=progress)


def quantize_int8(model: Any) -> Any:
    """The model with its linear layers (attention, MLP and the tied output head) in
    dynamic int8: a quarter of the bytes to read per token, which is what bounds decoding
    on a CPU. torch marks this API as moving to torchao; it still works in the locked torch."""
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


class TransformersGenerator(Generator):
    name = "transformers"

    def __init__(self, model: Any, tokenizer: Any, config: GenerationSettings = GenerationSettings(),
                 source: str = "") -> None:
        import torch

        self.model = model.eval()
        self.tokenizer = tokenizer
        self.config = config
        self.source = source
        self._torch = torch
        self.device = next(model.parameters()).device
        controls = [tokenizer.eos_token, tokenizer.pad_token, "<|im_end|>", "<|im_start|>", "<|endoftext|>"]
        vocab = tokenizer.get_vocab()
        self.stop_ids = {vocab[token] for token in controls if token and token in vocab}
        self._lock = threading.Lock()
        self.prefix_cache = True  # reuse the system turn's keys and values (off: for comparison)
        self._prefix_ids: Optional[List[int]] = None
        self._prefix_cache: Any = None
        self._sampler = torch.Generator(device=self.device).manual_seed(config.seed)

    @classmethod
    def load(cls, config: Optional[GenerationSettings] = None, progress: bool = True) -> "TransformersGenerator":
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from bot.generation.runtime import resolve_device
        from bot.nlu.text_classifier import configure_torch_threads

        config = config or GenerationSettings.from_env()
        configure_torch_threads(None)  # SHOPBOT_TORCH_THREADS, else all usable CPUs
        device = resolve_device(config.device)
        directory = model_directory(config, progress=progress)
        tokenizer = AutoTokenizer.from_pretrained(str(directory))
        # on a GPU, half precision: twice the model for the same memory and bandwidth
        dtype = torch.float32 if device == "cpu" else torch.float16
        model = AutoModelForCausalLM.from_pretrained(str(directory), dtype=dtype)
        if config.quantize == "int8":
            if device != "cpu":
                raise ValueError("int8 dynamic quantization is for the CPU; on a GPU leave SHOPBOT_GENERATOR_QUANTIZE unset")
            model = quantize_int8(model)
        elif config.quantize:
            raise ValueError(f"unknown quantization {config.quantize!r} (int8, or none)")
        model = model.to(device)
        _say(f"{directory.name} on {device} ({str(dtype).replace('torch.', '')})", progress)
        generator = cls(model, tokenizer, config, source=str(directory))
        if config.quantize:
            generator.name = f"{cls.name}_{config.quantize}"
        return generator

    # ------------------------------------------------------------------ tokens
    def encode(self, prompt: Prompt) -> List[int]:
        text = self.tokenizer.apply_chat_template(prompt.messages(), tokenize=False, add_generation_prompt=True)
        return list(self.tokenizer(text, add_special_tokens=False).input_ids)

    def _system_ids(self, prompt: Prompt) -> List[int]:
        text = self.tokenizer.apply_chat_template(prompt.messages()[:1], tokenize=False)
        return list(self.tokenizer(text, add_special_tokens=False).input_ids)

    def count_tokens(self, prompt: Prompt) -> int:
        return len(self.encode(prompt))

    # ------------------------------------------------------------------ decoding
    def generate(self, prompt: Prompt, max_new_tokens: int = 64,
                 deadline_s: Optional[float] = None) -> Generation:
        started = time.perf_counter()
        deadline = Deadline(deadline_s)
        left = deadline.left()
        if not self._lock.acquire(timeout=-1 if left is None else max(0.0, left)):
            return Generation("", 0, 0, time.perf_counter() - started, None, DEADLINE)
        try:
            with self._torch.inference_mode():
                return self._generate(prompt, max_new_tokens, deadline, started)
        finally:
            self._release()
            self._lock.release()

    def _generate(self, prompt: Prompt, max_new_tokens: int, deadline: Deadline, started: float) -> Generation:
        torch = self._torch
        ids = self.encode(prompt)
        if deadline.passed():
            return Generation("", 0, len(ids), time.perf_counter() - started, None, DEADLINE)
        cache, rest = self._cache_for(ids, self._system_ids(prompt))
        out = self.model(input_ids=torch.tensor([rest], device=self.device), past_key_values=cache, use_cache=True)
        cache = out.past_key_values
        logits = out.logits[0, -1].float()
        generated: List[int] = []
        first_token_s = None
        finish = LENGTH
        for _ in range(max_new_tokens):
            token = self._choose(logits, generated)
            if first_token_s is None:
                first_token_s = time.perf_counter() - started
            if token in self.stop_ids:
                finish = STOP
                break
            generated.append(token)
            if deadline.passed():
                finish = DEADLINE
                break
            if len(generated) == max_new_tokens:
                break
            out = self.model(input_ids=torch.tensor([[token]], device=self.device), past_key_values=cache, use_cache=True)
            cache = out.past_key_values
            logits = out.logits[0, -1].float()
        text = self.tokenizer.decode(generated, skip_special_tokens=True).strip()
        return Generation(text, len(generated), len(ids), time.perf_counter() - started, first_token_s, finish)

    def _cache_for(self, ids: List[int], system_ids: List[int]):
        """(KV cache to start from, the ids still to feed): the cached system turn when the
        prompt starts with it, else a fresh cache and the whole prompt."""
        from transformers import DynamicCache

        usable = self.prefix_cache and len(system_ids) < len(ids) and ids[:len(system_ids)] == system_ids
        prefix = system_ids if usable else None
        if prefix is None:
            self._prefix_ids, self._prefix_cache = None, None
            return DynamicCache(), ids
        if self._prefix_ids != prefix or self._prefix_cache is None:
            cache = DynamicCache()
            self.model(input_ids=self._torch.tensor([prefix], device=self.device), past_key_values=cache, use_cache=True)
            self._prefix_ids, self._prefix_cache = prefix, cache
        return self._prefix_cache, ids[len(prefix):]

    def _release(self) -> None:
        """Cut the shared cache back to the system turn for the next call (also after an
        error or a deadline halfway through)."""
        if self._prefix_cache is None:
            return
        try:
            self._prefix_cache.crop(len(self._prefix_ids or ()))
        except Exception:  # noqa: BLE001 - a cache that cannot be cut is rebuilt next time
            self._prefix_ids, self._prefix_cache = None, None

    def _choose(self, logits: Any, generated: Sequence[int]) -> int:
        torch = self._torch
        penalty = self.config.repetition_penalty
        if penalty and penalty != 1.0 and generated:
            seen = torch.tensor(sorted(set(generated)), device=logits.device)
            values = logits[seen]
            logits = logits.clone()
            logits[seen] = torch.where(values > 0, values / penalty, values * penalty)
        if self.config.temperature <= 0:
            return int(torch.argmax(logits))
        probabilities = torch.softmax(logits / self.config.temperature, dim=-1)
        return int(torch.multinomial(probabilities, 1, generator=self._sampler))
