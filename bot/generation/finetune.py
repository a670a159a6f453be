"""Fine-tuning the generator with LoRA, and loading the fine-tuned weights.

Why LoRA, written here: on two shared CPU cores the cost of a training step is the
forward and backward pass through the frozen 135M model, the same for LoRA and for full
fine-tuning, but LoRA keeps the optimizer state tiny and its artifact small: rank-``r``
matrices on every attention and MLP projection (q, k, v, o, gate, up, down) of the 30
layers, a few MB in float16, small enough to commit
(``bot/generation/adapters/shop-lora/``) so CI and fresh machines use the fine-tuned
wording without training. About eighty lines of torch do it, so no ``peft`` dependency.

Training (``train``): the pairs of ``bot.generation.dataset``, tokenized with the
model's chat template exactly as the transformers runtime encodes a prompt, the target
reply and the end-of-turn token after it; the loss is on the reply tokens only. Seeded
(data order, LoRA initialisation), AdamW with warm-up and linear decay, a tqdm bar
with the running loss; torch threads from ``SHOPBOT_TORCH_THREADS``.

The artifact: ``adapter.safetensors`` (``<module>.lora_A`` / ``<module>.lora_B``,
float16) and ``adapter.json`` (rank, alpha, target modules, the base model's checksum,
the dataset fingerprint, training figures).

Loading (``finetuned_directory``, called by the transformers runtime's
``model_directory``): when an adapter is present (``SHOPBOT_GENERATOR_ADAPTER``, default
the committed one), fits the base model (same GGUF checksum) and
``SHOPBOT_GENERATOR_FINETUNED`` is not ``off``, the base plus the adapter is merged once
into a plain Hugging Face directory

    var/models/generator-ft-<hash of the adapter and the base>/

atomically, like the GGUF conversion; every runtime can load it (the llama.cpp runtime
converts that directory to GGUF). Otherwise the stock directory is used.
"""

import hashlib
import json
import logging
import math
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

logger = logging.getLogger(__name__)

ADAPTER_FILE = "adapter.safetensors"
META_FILE = "adapter.json"
MERGED_DONE_FILE = "conversion.json"  # the runtime's completeness marker, reused
DEFAULT_ADAPTER_DIR = Path(__file__).resolve().parent / "adapters" / "shop-lora"
TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
MERGE_REV = 1


def _say(message: str, progress: bool) -> None:
    if progress:
        print(f"[finetune] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------- settings
def finetuned_enabled() -> bool:
    """``SHOPBOT_GENERATOR_FINETUNED=off`` uses the stock model even when an adapter exists."""
    return (os.environ.get("SHOPBOT_GENERATOR_FINETUNED") or "on").strip().lower() not in ("off", "0", "false", "no")


def adapter_dir() -> Path:
    """Where the adapter is read from and written to (``SHOPBOT_GENERATOR_ADAPTER``)."""
    return Path(os.environ.get("SHOPBOT_GENERATOR_ADAPTER") or DEFAULT_ADAPTER_DIR)


@dataclass(frozen=True)
class TrainConfig:
    rank: int = 8
    alpha: float = 16.0
    targets: Tuple[str, ...] = TARGETS
    epochs: float = 1.0
    batch_size: int = 4
    lr: float = 1e-3
    warmup_steps: int = 8
    weight_decay: float = 0.0
    max_steps: Optional[int] = None  # stop after this many optimizer steps (tests)
    seed: int = 7


# ---------------------------------------------------------------------- LoRA
def _lora_class():
    import torch

    class LoRALinear(torch.nn.Module):
        """``base(x) + scale * (x A^T) B^T`` with ``base`` frozen and B starting at zero
        (so training starts from the stock model's output)."""

        def __init__(self, base: Any, rank: int, alpha: float, generator: Any) -> None:
            super().__init__()
            self.base = base
            for parameter in self.base.parameters():
                parameter.requires_grad_(False)
            self.scale = alpha / rank
            a = torch.empty(rank, base.in_features)
            torch.nn.init.kaiming_uniform_(a, a=math.sqrt(5), generator=generator)
            self.lora_A = torch.nn.Parameter(a)
            self.lora_B = torch.nn.Parameter(torch.zeros(base.out_features, rank))

        def forward(self, x: Any) -> Any:
            return self.base(x) + (x @ self.lora_A.t() @ self.lora_B.t()) * self.scale

    return LoRALinear


def add_lora(model: Any, rank: int = 8, alpha: float = 16.0, targets: Sequence[str] = TARGETS,
             seed: int = 7) -> Dict[str, Any]:
    """Wrap every linear layer named in ``targets`` in place; returns {module name: LoRA layer}.
    Everything else in the model is frozen."""
    import torch

    LoRALinear = _lora_class()
    generator = torch.Generator().manual_seed(seed)
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    wrapped: Dict[str, Any] = {}
    for name, module in list(model.named_modules()):
        for child_name, child in list(module.named_children()):
            if child_name in targets and isinstance(child, torch.nn.Linear):
                layer = LoRALinear(child, rank, alpha, generator)
                setattr(module, child_name, layer)
                wrapped[f"{name}.{child_name}" if name else child_name] = layer
    if not wrapped:
        raise ValueError(f"no linear layer named {', '.join(targets)} in the model")
    return wrapped


def lora_state(wrapped: Dict[str, Any]) -> Dict[str, Any]:
    """The adapter's tensors, float16, contiguous, by ``<module>.lora_A`` / ``.lora_B``."""
    import torch

    out = {}
    for name, layer in sorted(wrapped.items()):
        out[f"{name}.lora_A"] = layer.lora_A.detach().to(torch.float16).contiguous()
        out[f"{name}.lora_B"] = layer.lora_B.detach().to(torch.float16).contiguous()
    return out


def merge_adapter(model: Any, tensors: Dict[str, Any], scale: float) -> int:
    """Add ``scale * B @ A`` to each target's weight in place; returns how many layers."""
    import torch

    modules = dict(model.named_modules())
    merged = 0
    with torch.no_grad():
        for key in sorted(tensors):
            if not key.endswith(".lora_A"):
                continue
            name = key[:-len(".lora_A")]
            linear = modules.get(name)
            if linear is None or not hasattr(linear, "weight"):
                raise ValueError(f"the adapter has {name}, which the model lacks")
            a = tensors[key].to(torch.float32)
            b = tensors[f"{name}.lora_B"].to(torch.float32)
            if (b.shape[0], a.shape[1]) != tuple(linear.weight.shape):
                raise ValueError(f"{name}: adapter {tuple(b.shape)}x{tuple(a.shape)} does not fit {tuple(linear.weight.shape)}")
            linear.weight += (scale * (b @ a)).to(linear.weight.dtype)
            merged += 1
    return merged


# ---------------------------------------------------------------------- data
@dataclass
class Example:
    input_ids: List[int]
    labels: List[int]  # -100 on the prompt: the loss is on the reply only


def encode_pair(tokenizer: Any, pair: Any, max_tokens: int = 384) -> Example:
    """The prompt as the transformers runtime encodes it, then the reply and end of turn."""
    prompt = pair.prompt()
    text = tokenizer.apply_chat_template(prompt.messages(), tokenize=False, add_generation_prompt=True)
    prompt_ids = list(tokenizer(text, add_special_tokens=False).input_ids)
    reply_ids = list(tokenizer(pair.target, add_special_tokens=False).input_ids)
    reply_ids.append(tokenizer.convert_tokens_to_ids(tokenizer.eos_token))
    ids = (prompt_ids + reply_ids)[:max_tokens]
    labels = ([-100] * len(prompt_ids) + reply_ids)[:max_tokens]
    return Example(ids, labels)


def _batches(examples: List[Example], batch_size: int, rng: random.Random) -> List[List[Example]]:
    """Seeded shuffle, then batches of similar length (less padding, the same randomness)."""
    order = list(examples)
    rng.shuffle(order)
    chunk = batch_size * 8
    out = []
    for start in range(0, len(order), chunk):
        block = sorted(order[start:start + chunk], key=lambda e: len(e.input_ids))
        out += [block[i:i + batch_size] for i in range(0, len(block), batch_size)]
    rng.shuffle(out)
    return out


def _collate(batch: List[Example], pad_id: int):
    import torch

    width = max(len(e.input_ids) for e in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), -100, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, example in enumerate(batch):
        n = len(example.input_ids)
        ids[row, :n] = torch.tensor(example.input_ids)
        labels[row, :n] = torch.tensor(example.labels)
        mask[row, :n] = 1
    return ids, labels, mask


# ---------------------------------------------------------------------- training
@dataclass
class TrainResult:
    adapter_dir: Path
    steps: int
    seconds: float
    examples: int
    tokens: int
    loss_first: float
    loss_last: float
    bytes: int
    meta: Dict[str, Any] = field(default_factory=dict)


def reply_loss(model: Any, ids: Any, labels: Any, mask: Any) -> Any:
    """Cross-entropy on the reply tokens only. The output head (576 x 49,152) runs only on
    the positions that predict a reply token: a fifth of the step's work otherwise."""
    import torch

    hidden = model.model(input_ids=ids, attention_mask=mask).last_hidden_state[:, :-1]
    target = labels[:, 1:]
    chosen = target != -100
    logits = model.lm_head(hidden[chosen])
    return torch.nn.functional.cross_entropy(logits, target[chosen])


def base_checksum(directory: Path) -> str:
    """What identifies a base model directory: the GGUF checksum its conversion recorded,
    else a hash of its config (a plain Hugging Face directory)."""
    done = Path(directory) / MERGED_DONE_FILE
    if done.is_file():
        info = json.loads(done.read_text())
        return str(info.get("base_sha256") or info.get("sha256") or "")
    config = Path(directory) / "config.json"
    return "config:" + hashlib.sha256(config.read_bytes()).hexdigest() if config.is_file() else ""


def train(pairs: Sequence[Any], base_dir: Path, out_dir: Optional[Path] = None,
          config: TrainConfig = TrainConfig(), progress: bool = True,
          dataset_info: Optional[Dict[str, Any]] = None) -> TrainResult:
    """Fine-tune LoRA matrices on ``pairs`` over the model in ``base_dir``; write the adapter."""
    import torch
    from tqdm.auto import tqdm
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from bot.nlu.text_classifier import configure_torch_threads

    configure_torch_threads(None)
    out_dir = Path(out_dir or adapter_dir())
    random.seed(config.seed)
    torch.manual_seed(config.seed)
    tokenizer = AutoTokenizer.from_pretrained(str(base_dir))
    model = AutoModelForCausalLM.from_pretrained(str(base_dir), dtype=torch.float32)
    model.config.use_cache = False
    wrapped = add_lora(model, config.rank, config.alpha, config.targets, seed=config.seed)
    model.train()
    params = [p for layer in wrapped.values() for p in (layer.lora_A, layer.lora_B)]
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)

    examples = [encode_pair(tokenizer, pair) for pair in pairs]
    rng = random.Random(config.seed)
    epochs = max(1, math.ceil(config.epochs))
    plan: List[List[Example]] = []
    for _ in range(epochs):
        plan += _batches(examples, config.batch_size, rng)
    steps = min(len(plan), round(len(plan) * config.epochs / epochs) or 1)
    if config.max_steps:
        steps = min(steps, config.max_steps)
    plan = plan[:steps]

    def lr_at(step: int) -> float:
        if step < config.warmup_steps:
            return (step + 1) / config.warmup_steps
        return max(0.05, 1.0 - (step - config.warmup_steps) / max(1, steps - config.warmup_steps))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_at)
    pad_id = tokenizer.convert_tokens_to_ids(tokenizer.pad_token or tokenizer.eos_token)
    losses: List[float] = []
    tokens = 0
    started = time.perf_counter()
    bar = tqdm(plan, desc="fine-tuning (LoRA)", unit="step", disable=not progress, file=sys.stderr)
    for batch in bar:
        ids, labels, mask = _collate(batch, pad_id)
        loss = reply_loss(model, ids, labels, mask)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        tokens += int(mask.sum())
        window = losses[-10:]
        bar.set_postfix(loss=f"{sum(window) / len(window):.3f}")
    bar.close()
    seconds = time.perf_counter() - started

    def mean(values: List[float]) -> float:
        return round(sum(values) / len(values), 4) if values else float("nan")

    head = max(1, min(10, len(losses) // 5))
    meta = {
        "format": "shopbot-lora/1", "rank": config.rank, "alpha": config.alpha, "scale": config.alpha / config.rank,
        "targets": list(config.targets), "dtype": "float16",
        "base": {"sha256": base_checksum(base_dir), "architecture": (model.config.architectures or [""])[0],
                 "layers": model.config.num_hidden_layers, "hidden_size": model.config.hidden_size},
        "training": {**asdict(config), "targets": list(config.targets), "steps": len(losses), "examples": len(examples),
                     "tokens": tokens, "seconds": round(seconds, 1), "loss_first": mean(losses[:head]),
                     "loss_last": mean(losses[-head:]), "torch_threads": torch.get_num_threads(),
                     "load_average_1m": round(os.getloadavg()[0], 2)},
        "dataset": dataset_info or {},
    }
    size = save_adapter(out_dir, lora_state(wrapped), meta)
    _say(f"adapter written to {out_dir} ({size / 1e6:.1f} MB) after {len(losses)} steps in {seconds:.0f} s", progress)
    return TrainResult(out_dir, len(losses), seconds, len(examples), tokens, meta["training"]["loss_first"],
                       meta["training"]["loss_last"], size, meta)


def save_adapter(directory: Path, tensors: Dict[str, Any], meta: Dict[str, Any]) -> int:
    """Write (or overwrite) the adapter; returns its size in bytes."""
    from safetensors.torch import save_file

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(directory / ADAPTER_FILE), metadata={"format": "pt"})
    (directory / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    return sum((directory / name).stat().st_size for name in (ADAPTER_FILE, META_FILE))


def load_adapter(directory: Path) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    from safetensors.torch import load_file

    directory = Path(directory)
    return load_file(str(directory / ADAPTER_FILE)), json.loads((directory / META_FILE).read_text())


def adapter_present(directory: Optional[Path] = None) -> bool:
    directory = Path(directory or adapter_dir())
    return (directory / ADAPTER_FILE).is_file() and (directory / META_FILE).is_file()


# ---------------------------------------------------------------------- loading
def _adapter_digest(directory: Path) -> str:
    digest = hashlib.sha256()
    for name in (ADAPTER_FILE, META_FILE):
        digest.update((Path(directory) / name).read_bytes())
    return digest.hexdigest()


def merged_dir(base_dir: Path, adapter: Optional[Path] = None, models: Optional[Path] = None) -> Path:
    """Where base + adapter is cached: keyed by the adapter's bytes and the base."""
    from bot.generation.runtime import models_dir

    adapter = Path(adapter or adapter_dir())
    key = hashlib.sha256(f"{_adapter_digest(adapter)} {base_checksum(base_dir)} {MERGE_REV}".encode()).hexdigest()
    return Path(models or models_dir()) / f"generator-ft-{key[:12]}"


def finetuned_model_path(base_dir: Path, progress: bool = False, adapter: Optional[Path] = None) -> Optional[Path]:
    """The merged fine-tuned directory for ``base_dir`` (merged now if needed), or None when
    there is no adapter, it is switched off, or it was trained on another base."""
    adapter = Path(adapter or adapter_dir())
    if not finetuned_enabled() or not adapter_present(adapter):
        return None
    done = Path(base_dir) / MERGED_DONE_FILE
    if done.is_file() and "adapter" in json.loads(done.read_text()):
        return None  # already a fine-tuned merge: never apply an adapter twice
    meta = json.loads((adapter / META_FILE).read_text())
    base_sum = base_checksum(base_dir)
    if meta.get("base", {}).get("sha256") != base_sum:
        logger.warning("the adapter in %s was trained on another base model; using the stock model", adapter)
        return None
    target = merged_dir(base_dir, adapter)
    if (target / MERGED_DONE_FILE).is_file():
        return target
    return merge_to_directory(base_dir, adapter, target, progress=progress)


def finetuned_directory(base_dir: Path, progress: bool = False) -> Path:
    """The directory the runtimes load: the fine-tuned merge when present, else ``base_dir``."""
    return finetuned_model_path(base_dir, progress=progress) or Path(base_dir)


def merge_to_directory(base_dir: Path, adapter: Path, target: Path, progress: bool = False) -> Path:
    """Base + adapter saved as a plain Hugging Face directory, atomically."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.perf_counter()
    _say(f"merging the adapter {adapter} into {target} (once)", progress)
    tensors, meta = load_adapter(adapter)
    tokenizer = AutoTokenizer.from_pretrained(str(base_dir))
    model = AutoModelForCausalLM.from_pretrained(str(base_dir), dtype=torch.float32)
    merge_adapter(model, tensors, float(meta["scale"]))
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        done_file = Path(base_dir) / MERGED_DONE_FILE
        info = json.loads(done_file.read_text()) if done_file.is_file() else {}
        info.update({"base_directory": Path(base_dir).name, "base_sha256": base_checksum(base_dir),
                     "adapter": {"path": str(adapter), "sha256": _adapter_digest(adapter), "rank": meta.get("rank"),
                                 "dataset": meta.get("dataset", {}).get("fingerprint")},
                     "merge_rev": MERGE_REV})
        (staging / MERGED_DONE_FILE).write_text(json.dumps(info, indent=2))
        try:
            os.replace(staging, target)
        except OSError:
            if not (target / MERGED_DONE_FILE).is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _say(f"merged in {time.perf_counter() - started:.0f} s", progress)
    return target
