"""Fine-tuning a BERT-family encoder for short-text classification, in plain torch.

This is the engine behind our Rasa components (intent and sentiment); it knows
nothing about Rasa, so it can be trained and tested on its own.

The model is the pretrained encoder, mean pooling over tokens (what sentence
embedding models such as all-MiniLM-L6-v2 were trained for, so a small shop data
set fine-tunes quickly) and one linear head per task. Several tasks can share the
encoder (multi-task: intents and sentiment in one forward pass, half the
latency of two models). Training is seeded and deterministic on a given machine;
label smoothing keeps the confidences honest enough for Rasa's FallbackClassifier.
"""

import json
import logging
import math
import os
import random
import threading
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

import numpy as np

logger = logging.getLogger(__name__)

WEIGHTS_FILE = "head.safetensors"
META_FILE = "classifier.json"
ENCODER_DIR = "encoder"
MAIN = "main"


def usable_cpus() -> int:
    """CPUs this process may run on (respects taskset / container limits)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def configure_torch_threads(num_threads: Optional[int]) -> None:
    """Give torch a fixed number of threads so it and TensorFlow don't oversubscribe.

    Rasa's TensorFlow policies read ``TF_INTRA_OP_PARALLELISM_THREADS``; torch gets
    the same budget here. Inter-op parallelism is 1: our graphs are sequential.

    ``SHOPBOT_TORCH_THREADS`` overrides both: the serving launcher (``bot.serving.rasa_run``)
    sets 1, because a server parses one short message at a time on its event loop and a
    second thread only waits for a busy core (the load benchmark measured one parse at
    21 ms on one thread and 156 ms on two while the machine was busy).
    """
    import torch

    try:
        forced = int(os.environ.get("SHOPBOT_TORCH_THREADS") or 0)
    except ValueError:
        forced = 0
    threads = forced or num_threads or usable_cpus()
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set once in this process; torch allows that only once


def seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def pick_device(device: Optional[Text] = None) -> Text:
    """``cuda`` when a GPU is present (unless told otherwise), else ``cpu``."""
    import torch

    if device and device != "auto":
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


def _build_model(encoder: Any, head_sizes: Dict[Text, int], dropout: float) -> Any:
    """Encoder + mean pooling + one linear head per task (torch imported lazily)."""
    import torch

    class PooledClassifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.dropout = torch.nn.Dropout(dropout)
            self.heads = torch.nn.ModuleDict(
                {
                    name: torch.nn.Linear(encoder.config.hidden_size, size)
                    for name, size in head_sizes.items()
                }
            )

        def forward(self, input_ids: Any, attention_mask: Any) -> Dict[Text, Any]:
            tokens = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            pooled = self.dropout((tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9))
            return {name: head(pooled) for name, head in self.heads.items()}

    return PooledClassifier()


class TransformerTextClassifier:
    """A fine-tunable text classifier: encoder + mean pooling + a linear head per task.

    The ``main`` task's labels are ``labels``; ``extra_tasks`` adds more heads on the
    same encoder (e.g. ``{"sentiment": ["negative", "neutral", "positive"]}``).
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        tasks: Dict[Text, Sequence[Text]],
        max_length: int = 128,
        device: Text = "cpu",
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.tasks = {name: list(labels) for name, labels in tasks.items()}
        self.max_length = max_length
        self.device = device
        self._tokenizer_lock = threading.Lock()
        self.model.to(device)
        self.model.eval()

    @property
    def labels(self) -> List[Text]:
        """The main task's labels, in the column order of its probabilities."""
        return self.tasks[MAIN]

    # ------------------------------------------------------------------ create
    @classmethod
    def from_encoder(
        cls,
        encoder_path: Path,
        labels: Sequence[Text],
        max_length: int = 128,
        dropout: float = 0.1,
        device: Text = "cpu",
        seed: int = 42,
        extra_tasks: Optional[Dict[Text, Sequence[Text]]] = None,
    ) -> "TransformerTextClassifier":
        """A new classifier on top of a pretrained encoder (heads randomly initialised)."""
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        tasks = {MAIN: list(labels), **{k: list(v) for k, v in (extra_tasks or {}).items()}}
        for name, task_labels in tasks.items():
            if len(task_labels) < 2:
                raise ValueError(
                    f"A classifier needs at least two labels to tell apart, got "
                    f"{task_labels} for the task '{name}'."
                )
        seed_everything(seed)
        hf_logging.set_verbosity_error()
        tokenizer = AutoTokenizer.from_pretrained(str(encoder_path))
        encoder = AutoModel.from_pretrained(str(encoder_path), add_pooling_layer=False)
        model = _build_model(encoder, {k: len(v) for k, v in tasks.items()}, dropout)
        return cls(model, tokenizer, tasks, max_length=max_length, device=device)

    # ------------------------------------------------------------------- train
    def fit(
        self,
        texts: Sequence[Text],
        labels: Sequence[Text],
        epochs: int = 8,
        batch_size: int = 16,
        learning_rate: float = 6e-5,
        weight_decay: float = 0.01,
        warmup_ratio: float = 0.1,
        label_smoothing: float = 0.1,
        seed: int = 42,
        show_progress: bool = True,
        description: Text = "fine-tuning",
        extra_data: Optional[Dict[Text, Tuple[Sequence[Text], Sequence[Text]]]] = None,
    ) -> List[float]:
        """Fine-tune encoder and heads together; returns the mean loss of each epoch.

        ``texts``/``labels`` train the main task; ``extra_data`` maps each extra task
        to its own ``(texts, labels)``. Every batch holds examples of one task; the
        batches of all tasks are shuffled together each epoch.
        """
        import torch
        from tqdm import tqdm

        data = {MAIN: (texts, labels), **(extra_data or {})}
        examples: Dict[Text, Tuple[List[Text], Any]] = {}
        for task, (task_texts, task_labels) in data.items():
            if task not in self.tasks:
                raise ValueError(f"Unknown task '{task}'; the classifier has {list(self.tasks)}.")
            if len(task_texts) != len(task_labels):
                raise ValueError("texts and labels must have the same length")
            if not task_texts:
                raise ValueError(f"No training examples were given for the task '{task}'.")
            unknown = sorted(set(task_labels) - set(self.tasks[task]))
            if unknown:
                raise ValueError(f"Labels {unknown} are not among the '{task}' task's labels.")
            index = {label: i for i, label in enumerate(self.tasks[task])}
            examples[task] = (
                [self._clean(t) for t in task_texts],
                torch.tensor([index[label] for label in task_labels], dtype=torch.long),
            )

        seed_everything(seed)
        no_decay = ("bias", "LayerNorm.weight", "layer_norm")
        named = list(self.model.named_parameters())
        optimizer = torch.optim.AdamW(
            [
                {"params": [p for n, p in named if not any(nd in n for nd in no_decay)],
                 "weight_decay": weight_decay},
                {"params": [p for n, p in named if any(nd in n for nd in no_decay)],
                 "weight_decay": 0.0},
            ],
            lr=learning_rate,
        )
        steps_per_epoch = sum(math.ceil(len(t) / batch_size) for t, _ in examples.values())
        total_steps = max(1, steps_per_epoch * epochs)
        warmup = int(total_steps * warmup_ratio)

        def schedule(step: int) -> float:
            if step < warmup:
                return (step + 1) / max(1, warmup)
            return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
        loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=label_smoothing)
        generator = torch.Generator().manual_seed(seed)

        self.model.train()
        history: List[float] = []
        progress = tqdm(
            total=total_steps, desc=description, disable=not show_progress, unit="batch"
        )
        try:
            for epoch in range(epochs):
                batches = []
                for task, (task_texts, _) in examples.items():
                    order = torch.randperm(len(task_texts), generator=generator).tolist()
                    batches += [
                        (task, order[i:i + batch_size]) for i in range(0, len(order), batch_size)
                    ]
                shuffled = torch.randperm(len(batches), generator=generator).tolist()
                losses = []
                for b in shuffled:
                    task, batch = batches[b]
                    task_texts, targets = examples[task]
                    logits = self.model(**self._encode([task_texts[i] for i in batch]))[task]
                    loss = loss_fn(logits, targets[batch].to(self.device))
                    optimizer.zero_grad()
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
                    optimizer.step()
                    scheduler.step()
                    losses.append(loss.item())
                    progress.update(1)
                    progress.set_postfix(epoch=f"{epoch + 1}/{epochs}", loss=f"{loss.item():.3f}")
                history.append(float(np.mean(losses)))
        finally:
            progress.close()
            self.model.eval()
        return history

    # ----------------------------------------------------------------- predict
    def predict_tasks(self, texts: Sequence[Text], batch_size: int = 32) -> Dict[Text, np.ndarray]:
        """Probabilities of every task from one forward pass per batch.

        One array per task, a row per text, columns in that task's label order.
        Texts are sorted by length before batching so that padding stays small.
        """
        import torch

        out = {
            task: np.zeros((len(texts), len(labels)), dtype=np.float32)
            for task, labels in self.tasks.items()
        }
        if not texts:
            return out
        cleaned = [self._clean(t) for t in texts]
        order = sorted(range(len(cleaned)), key=lambda i: len(cleaned[i]))
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                batch = order[start:start + batch_size]
                logits = self.model(**self._encode([cleaned[i] for i in batch]))
                for task, task_logits in logits.items():
                    out[task][batch] = torch.softmax(task_logits.float(), dim=-1).cpu().numpy()
        return out

    def predict_proba(self, texts: Sequence[Text], batch_size: int = 32) -> np.ndarray:
        """The main task's probabilities (see :meth:`predict_tasks`)."""
        return self.predict_tasks(texts, batch_size=batch_size)[MAIN]

    # ----------------------------------------------------------------- persist
    def save(self, directory: Path) -> None:
        """Write encoder, tokenizer and heads as safetensors + JSON (no pickle)."""
        from safetensors.torch import save_file

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.model.encoder.save_pretrained(
            str(directory / ENCODER_DIR), safe_serialization=True
        )
        self.tokenizer.save_pretrained(str(directory / ENCODER_DIR))
        heads = {
            k: v.detach().cpu().contiguous() for k, v in self.model.heads.state_dict().items()
        }
        save_file(heads, str(directory / WEIGHTS_FILE))
        meta = {
            "tasks": self.tasks,
            "max_length": self.max_length,
            "dropout": float(self.model.dropout.p),
        }
        (directory / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, device: Text = "cpu") -> "TransformerTextClassifier":
        """Load what :meth:`save` wrote; everything is read into memory."""
        from safetensors.torch import load_file
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        directory = Path(directory)
        meta_path = directory / META_FILE
        if not meta_path.is_file():
            raise FileNotFoundError(f"No trained classifier in {directory} ({META_FILE} missing).")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        hf_logging.set_verbosity_error()
        tokenizer = AutoTokenizer.from_pretrained(str(directory / ENCODER_DIR))
        encoder = AutoModel.from_pretrained(str(directory / ENCODER_DIR), add_pooling_layer=False)
        tasks = meta["tasks"]
        model = _build_model(encoder, {k: len(v) for k, v in tasks.items()}, meta["dropout"])
        model.heads.load_state_dict(load_file(str(directory / WEIGHTS_FILE)))
        return cls(model, tokenizer, tasks, max_length=meta["max_length"], device=device)

    # ----------------------------------------------------------------- helpers
    def _encode(self, texts: List[Text]) -> Dict[Text, Any]:
        # a fast tokenizer sets its truncation and padding on its Rust object per call:
        # two threads at once fail with "Already borrowed" (a server may parse on two)
        with self._tokenizer_lock:
            encoded = self.tokenizer(
                texts,
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            )
        return {
            "input_ids": encoded["input_ids"].to(self.device),
            "attention_mask": encoded["attention_mask"].to(self.device),
        }

    @staticmethod
    def _clean(text: Optional[Text]) -> Text:
        """Make any input safe for the tokenizer: None, control characters, giant texts."""
        if not text:
            return ""
        text = "".join(ch if ch.isprintable() or ch in " \t\n" else " " for ch in text[:4000])
        return " ".join(text.split())
