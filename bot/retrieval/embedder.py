"""Sentence embeddings from the packaged all-MiniLM-L6-v2, loaded once per process.

Why a singleton: the action server answers many requests and the model takes
seconds to load; every caller shares one instance (``get_embedder``). Why an LRU
cache: shoppers repeat themselves and buttons resend the same text, and a cached
query costs nothing. Vectors are L2-normalized float32, so an inner product is the
cosine similarity FAISS's ``IndexFlatIP`` expects.

One query is encoded with one torch thread (``SHOPBOT_QUERY_THREADS``, default 1):
a 10-word sentence gains almost nothing from intra-op parallelism, and on a busy
2-core machine (the Rasa server, other requests) two threads that must meet at every
operator wait for each other: measured here under load, p50 45 ms with one thread
against 250-900 ms with two. Batch encoding (index builds) keeps all threads.

torch and sentence-transformers are imported inside functions only: importing this
module must stay cheap (and possible in the Rasa environment, which lacks them).
"""

import contextlib
import os
import threading
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Text

import numpy as np

from bot.models import DEFAULT_ENCODER, resolve_encoder

# MiniLM was trained on 128 word pieces (256 max); characters beyond this cannot
# change the embedding, only cost tokenizer time. Huge inputs are cut here.
MAX_CHARS = 2000


def clean_text(text: Any) -> Text:
    """A string safe to embed: None/non-str tolerated, whitespace collapsed, truncated."""
    if text is None:
        return ""
    if not isinstance(text, str):
        text = str(text)
    text = text[: MAX_CHARS * 2]  # bound the work done by split() on hostile input
    return " ".join(text.split())[:MAX_CHARS]


def query_threads() -> int:
    """Torch threads for single-query encoding (``SHOPBOT_QUERY_THREADS``; 0 = leave as is)."""
    try:
        return max(0, int(os.environ.get("SHOPBOT_QUERY_THREADS", "1")))
    except ValueError:
        return 1


@contextlib.contextmanager
def torch_threads(n: int):
    """Run a block with ``n`` torch intra-op threads, then restore (n=0: unchanged)."""
    if n <= 0:
        yield
        return
    import torch

    old = torch.get_num_threads()
    if old == n:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def pick_device() -> Text:
    """``cuda`` when torch sees a GPU, else ``cpu``."""
    try:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    except Exception:  # pragma: no cover - torch missing or broken
        return "cpu"


class Embedder:
    """Encodes texts to normalized float32 vectors with a lazily loaded model.

    ``encode_calls`` and ``texts_encoded`` count real model work (cache hits
    excluded), which lets tests and benchmarks check that a cache was used.
    """

    def __init__(
        self,
        model_name: Text = DEFAULT_ENCODER,
        device: Optional[Text] = None,
        cache_size: int = 1024,
        batch_size: int = 64,
    ) -> None:
        self.model_name = model_name
        self.device = device
        self.cache_size = cache_size
        self.batch_size = batch_size
        self.encode_calls = 0
        self.texts_encoded = 0
        self._model = None
        self._lock = threading.Lock()
        self._cache: "OrderedDict[Text, np.ndarray]" = OrderedDict()

    @property
    def model(self):
        """The SentenceTransformer, loaded on first use (thread-safe)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    from sentence_transformers import SentenceTransformer

                    path = resolve_encoder(self.model_name)
                    self.device = self.device or pick_device()
                    self._model = SentenceTransformer(str(path), device=self.device)
        return self._model

    @property
    def dimension(self) -> int:
        model = self.model
        getter = getattr(model, "get_embedding_dimension", None) or getattr(
            model, "get_sentence_embedding_dimension", None)
        dim = getter() if getter else None
        return int(dim or model.encode(["x"]).shape[1])

    def encode(
        self, texts: Sequence[Text], progress: bool = False, batch_size: Optional[int] = None
    ) -> np.ndarray:
        """Embed many texts: shape (len(texts), d), float32, unit length rows.

        ``progress`` shows a tqdm bar (used by the index builder).
        """
        texts = [clean_text(t) for t in texts]
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        batch_size = batch_size or self.batch_size
        self.encode_calls += 1
        self.texts_encoded += len(texts)
        if progress:
            from tqdm.auto import tqdm

            parts: List[np.ndarray] = []
            with tqdm(total=len(texts), desc="embedding", unit="text") as bar:
                for start in range(0, len(texts), batch_size):
                    chunk = texts[start : start + batch_size]
                    parts.append(self._encode_batch(chunk, batch_size))
                    bar.update(len(chunk))
            return np.vstack(parts)
        return self._encode_batch(texts, batch_size)

    def _encode_batch(self, texts: List[Text], batch_size: int) -> np.ndarray:
        vectors = self.model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def clear_cache(self) -> None:
        """Forget cached queries (benchmarks time the model, not the cache)."""
        with self._lock:
            self._cache.clear()

    def encode_query(self, text: Text) -> np.ndarray:
        """One query as a (1, d) array; repeated strings come from the LRU cache."""
        key = clean_text(text)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        threads = query_threads() if self.device != "cuda" else 0
        with torch_threads(threads):
            vector = self.encode([key])
        vector.setflags(write=False)
        with self._lock:
            self._cache[key] = vector
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return vector


_INSTANCES: Dict[Text, Embedder] = {}
_INSTANCES_LOCK = threading.Lock()


def get_embedder(model_name: Text = DEFAULT_ENCODER) -> Embedder:
    """The process-wide embedder for ``model_name`` (created once, loaded on first use)."""
    with _INSTANCES_LOCK:
        embedder = _INSTANCES.get(model_name)
        if embedder is None:
            embedder = _INSTANCES[model_name] = Embedder(model_name)
        return embedder
