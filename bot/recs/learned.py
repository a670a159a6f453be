"""A small sequence model over each shopper's time-ordered events: what will they buy next?

Why a sequence model: order carries what co-occurrence counts lose. A shopper who bought
a watch last week and is now viewing bands is about to buy a band; one who viewed three
tents is about to buy a tent. Each event is an item embedding plus an event-kind
embedding (view, cart_add, purchase, ...), a GRU reads the last ``max_len`` events, and
a softmax over the catalog scores the next purchase. Output and input item embeddings are
tied, and each item's embedding includes a projection of its description vector (the
retrieval index's MiniLM vectors, when given), so items with few events still land near
similar ones.

Training reads only the events it is given (the evaluation gives it the events before
each shopper's cut), is seeded, shows a progress bar, and
is saved to a git-ignored cache keyed by the data and the settings
(``SHOPBOT_VAR_DIR``/recs/). A fixed number of epochs ends training (the time budget is only
a safety net), so the figures do not depend on machine load. The defaults (16 epochs) train
in about 1.5 minutes on 2 shared CPU cores for the demo's ~500 shoppers.
"""

import hashlib
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from bot import settings

KINDS = ("pad", "view", "search", "cart_add", "purchase", "favourite", "review")
TARGET_KINDS = ("purchase",)


@dataclass
class TrainConfig:
    dim: int = 64
    max_len: int = 30
    epochs: int = 16
    batch_size: int = 128
    lr: float = 3e-3
    weight_decay: float = 1e-5
    dropout: float = 0.2
    seed: int = 7
    time_limit_s: float = 600.0  # a safety net only: a run that hits it is load-dependent
    threads: int = 2


def cache_dir() -> Path:
    return settings.var_dir() / "recs"


def _examples(sequences: Sequence[Sequence[Tuple[str, str]]], index: Dict[str, int],
              max_len: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(items, kinds, targets): for every purchase with something before it, the events
    before it (left-padded to ``max_len``) and the purchased item."""
    items, kinds, targets = [], [], []
    kind_index = {k: i for i, k in enumerate(KINDS)}
    for seq in sequences:
        coded = [(index[p] + 1, kind_index.get(k, 1)) for p, k in seq if p in index]
        for t in range(1, len(coded)):
            if KINDS[coded[t][1]] not in TARGET_KINDS:
                continue
            window = coded[max(0, t - max_len):t]
            pad = max_len - len(window)
            items.append([0] * pad + [i for i, _ in window])
            kinds.append([0] * pad + [k for _, k in window])
            targets.append(coded[t][0] - 1)
    return (np.array(items, dtype=np.int64).reshape(-1, max_len),
            np.array(kinds, dtype=np.int64).reshape(-1, max_len), np.array(targets, dtype=np.int64))


def _build_module(n_items: int, config: TrainConfig, content: Optional[np.ndarray]):
    import torch
    from torch import nn

    class NextPurchaseGRU(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.item = nn.Embedding(n_items + 1, config.dim, padding_idx=0)
            self.kind = nn.Embedding(len(KINDS), config.dim, padding_idx=0)
            if content is not None:
                self.register_buffer("content", torch.tensor(
                    np.vstack([np.zeros((1, content.shape[1])), content]), dtype=torch.float32))
                self.project = nn.Linear(content.shape[1], config.dim, bias=False)
            else:
                self.content = None
            self.gru = nn.GRU(config.dim, config.dim, batch_first=True)
            self.drop = nn.Dropout(config.dropout)
            self.bias = nn.Parameter(torch.zeros(n_items))
            nn.init.normal_(self.item.weight, std=0.05)

        def item_vectors(self):
            vectors = self.item.weight
            if self.content is not None:
                vectors = vectors + self.project(self.content)
            return vectors

        def forward(self, items, kinds):
            table = self.item_vectors()
            x = self.drop(table[items] + self.kind(kinds))
            out, _ = self.gru(x)
            h = self.drop(out[:, -1, :])
            return h @ table[1:].T + self.bias

    return NextPurchaseGRU()


class SequenceRecommender:
    """Next-purchase scores from a shopper's event history (train with :meth:`fit`)."""

    def __init__(self, item_ids: Sequence[str], config: Optional[TrainConfig] = None,
                 content: Optional[np.ndarray] = None):
        self.item_ids = list(item_ids)
        self.index = {pid: i for i, pid in enumerate(self.item_ids)}
        self.config = config or TrainConfig()
        self.content = None if content is None else np.asarray(content, dtype=np.float32)
        self.module = None
        self.history: List[float] = []

    # ------------------------------------------------------------------ training
    def fit(self, sequences: Sequence[Sequence[Tuple[str, str]]], progress: bool = True) -> "SequenceRecommender":
        """Train on (product id, event kind) sequences, each time-ordered."""
        import torch

        cfg = self.config
        torch.manual_seed(cfg.seed)
        rng = np.random.default_rng(cfg.seed)
        old_threads = torch.get_num_threads()
        if cfg.threads > 0:
            torch.set_num_threads(cfg.threads)
        try:
            items, kinds, targets = _examples(sequences, self.index, cfg.max_len)
            self.module = _build_module(len(self.item_ids), cfg, self.content)
            if len(targets) == 0:
                return self
            optim = torch.optim.Adam(self.module.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
            loss_fn = torch.nn.CrossEntropyLoss()
            ti, tk, tt = (torch.from_numpy(a) for a in (items, kinds, targets))
            started = time.perf_counter()
            bar = _progress(cfg.epochs, progress)
            for epoch in range(cfg.epochs):
                self.module.train()
                order = torch.from_numpy(rng.permutation(len(tt)))
                total = 0.0
                for start in range(0, len(order), cfg.batch_size):
                    batch = order[start:start + cfg.batch_size]
                    optim.zero_grad()
                    loss = loss_fn(self.module(ti[batch], tk[batch]), tt[batch])
                    loss.backward()
                    optim.step()
                    total += loss.item() * len(batch)
                self.history.append(total / len(tt))
                bar(epoch + 1, self.history[-1])
                if time.perf_counter() - started > cfg.time_limit_s:
                    print(f"\nlearned model: stopped after {epoch + 1} epochs (time budget)", file=sys.stderr)
                    break
            if progress:
                print(file=sys.stderr)
        finally:
            torch.set_num_threads(old_threads)
        self.module.eval()
        return self

    # ------------------------------------------------------------------ scoring
    def score(self, history: Sequence[Tuple[str, str]]) -> np.ndarray:
        """Next-purchase probabilities over ``item_ids`` for one history (oldest first)."""
        return self.score_many([history])[0]

    def score_many(self, histories: Sequence[Sequence[Tuple[str, str]]]) -> np.ndarray:
        import torch

        n = len(self.item_ids)
        if self.module is None:
            return np.zeros((len(histories), n), dtype=np.float32)
        cfg = self.config
        kind_index = {k: i for i, k in enumerate(KINDS)}
        items = np.zeros((len(histories), cfg.max_len), dtype=np.int64)
        kinds = np.zeros_like(items)
        for r, history in enumerate(histories):
            coded = [(self.index[p] + 1, kind_index.get(k, 1)) for p, k in history if p in self.index]
            coded = coded[-cfg.max_len:]
            if coded:
                items[r, -len(coded):] = [i for i, _ in coded]
                kinds[r, -len(coded):] = [k for _, k in coded]
        with torch.no_grad():
            logits = self.module(torch.from_numpy(items), torch.from_numpy(kinds))
            probs = torch.softmax(logits, dim=-1).numpy()
        empty = ~items.any(axis=1)
        probs[empty] = 0.0
        return probs

    # ------------------------------------------------------------------ persistence
    def save(self, path: Path) -> Path:
        import torch

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        torch.save({"item_ids": self.item_ids, "config": asdict(self.config),
                    "content": self.content, "state": self.module.state_dict() if self.module else None,
                    "history": self.history}, tmp)
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: Path) -> "SequenceRecommender":
        import torch

        data = torch.load(Path(path), map_location="cpu", weights_only=False)
        model = cls(data["item_ids"], TrainConfig(**data["config"]), data["content"])
        model.module = _build_module(len(model.item_ids), model.config, model.content)
        if data["state"] is not None:
            model.module.load_state_dict(data["state"])
        model.module.eval()
        model.history = list(data.get("history") or [])
        return model


def sequences_of(log: Any) -> List[List[Tuple[str, str]]]:
    """(product id, kind) sequences of an :class:`~bot.recs.interactions.InteractionLog`."""
    return [[(e.product_id, e.kind) for e in seq] for seq in log.by_customer.values()]


def cache_key(sequences: Sequence[Sequence[Tuple[str, str]]], item_ids: Sequence[str],
              config: TrainConfig, content: Optional[np.ndarray]) -> str:
    h = hashlib.sha256()
    h.update(json.dumps({"items": list(item_ids), "config": asdict(config),
                         "content": None if content is None else list(content.shape)}).encode())
    for seq in sequences:
        h.update(json.dumps(seq).encode())
    if content is not None:
        h.update(np.ascontiguousarray(content, dtype=np.float32).tobytes())
    return h.hexdigest()[:24]


def train_or_load(log: Any, config: Optional[TrainConfig] = None, content: Optional[np.ndarray] = None,
                  directory: Optional[Path] = None, progress: bool = True) -> SequenceRecommender:
    """The model for this log and settings: from the cache when it matches, else trained and saved."""
    config = config or TrainConfig()
    sequences = sequences_of(log)
    key = cache_key(sequences, log.item_ids, config, content)
    path = Path(directory or cache_dir()) / f"learned-{key}.pt"
    if path.is_file():
        try:
            return SequenceRecommender.load(path)
        except Exception as error:  # a damaged cache is retrained, never fatal
            print(f"learned model: ignoring unreadable cache {path}: {error}", file=sys.stderr)
    model = SequenceRecommender(log.item_ids, config, content).fit(sequences, progress=progress)
    model.save(path)
    return model


def _progress(total: int, enabled: bool):
    if not enabled:
        return lambda done, loss: None
    width = 30

    def show(done: int, loss: float) -> None:
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\rtraining learned model [{'#' * filled}{'.' * (width - filled)}] "
                         f"{done}/{total} epochs, loss {loss:.3f}")
        sys.stderr.flush()
    return show
