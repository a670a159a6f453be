"""A thin wrapper over FAISS: exact cosine search, on the GPU when there is one.

``IndexFlatIP`` over L2-normalized vectors is exact cosine similarity. Our indexes
hold hundreds to a few thousand rows, where exact search takes well under a
millisecond (see benchmarks/faiss_bench.py), so approximate indexes would only cost
recall. With ``faiss.get_num_gpus() > 0`` the index is copied to GPU 0; results are
the same, and the file on disk is always the CPU index so a cache built on a GPU
machine loads on a CPU one and vice versa.

faiss is imported inside functions: importing this module must stay cheap.
"""

import os
from pathlib import Path
from typing import Any, Callable, Optional, Tuple, Union

import numpy as np


def gpu_count() -> int:
    """GPUs FAISS can use (0 for CPU-only builds or machines without one)."""
    import faiss

    try:
        return int(faiss.get_num_gpus())
    except Exception:  # pragma: no cover - CPU-only build without the symbol
        return 0


def choose_device(num_gpus: Optional[int] = None) -> str:
    """``"gpu"`` when FAISS sees a GPU (and SHOPBOT_FAISS_CPU is not set), else ``"cpu"``."""
    if os.environ.get("SHOPBOT_FAISS_CPU", "").strip() not in ("", "0"):
        return "cpu"
    if num_gpus is None:
        num_gpus = gpu_count()
    return "gpu" if num_gpus > 0 else "cpu"


_GPU_RESOURCES = None


def to_device(cpu_index: Any, device: Optional[str] = None,
              gpu_factory: Optional[Callable[[Any], Any]] = None) -> Any:
    """The index to search with: ``cpu_index`` itself, or a copy on GPU 0.

    ``gpu_factory`` (taking the CPU index) replaces faiss's own copy; tests use it to
    check which path is taken on a machine without a GPU.
    """
    device = device or choose_device()
    if device != "gpu":
        return cpu_index
    if gpu_factory is not None:
        return gpu_factory(cpu_index)
    import faiss

    global _GPU_RESOURCES
    if _GPU_RESOURCES is None:  # one set of GPU scratch memory per process
        _GPU_RESOURCES = faiss.StandardGpuResources()
    return faiss.index_cpu_to_gpu(_GPU_RESOURCES, 0, cpu_index)


def normalize(vectors: np.ndarray) -> np.ndarray:
    """Row-wise L2 normalization as contiguous float32 (zero rows stay zero)."""
    vectors = np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms, dtype=np.float32)


class FlatIndex:
    """Exact inner-product search over normalized vectors; CPU copy kept for saving."""

    def __init__(self, cpu_index: Any, device: Optional[str] = None) -> None:
        self.cpu_index = cpu_index
        self.device = device or choose_device()
        self.index = to_device(cpu_index, self.device)

    @classmethod
    def build(cls, vectors: np.ndarray, device: Optional[str] = None) -> "FlatIndex":
        import faiss

        vectors = normalize(vectors)
        cpu_index = faiss.IndexFlatIP(int(vectors.shape[1]))
        if len(vectors):
            cpu_index.add(vectors)
        return cls(cpu_index, device)

    @classmethod
    def load(cls, path: Union[str, Path], device: Optional[str] = None) -> "FlatIndex":
        import faiss

        return cls(faiss.read_index(str(path)), device)

    def save(self, path: Union[str, Path]) -> None:
        import faiss

        faiss.write_index(self.cpu_index, str(path))

    @property
    def ntotal(self) -> int:
        return int(self.cpu_index.ntotal)

    @property
    def dimension(self) -> int:
        return int(self.cpu_index.d)

    def search(self, queries: np.ndarray, k: int) -> Tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (n_queries, k'); k' = min(k, ntotal); best first."""
        queries = normalize(queries)
        k = max(0, min(int(k), self.ntotal))
        if k == 0:
            empty = np.zeros((len(queries), 0))
            return empty.astype(np.float32), empty.astype(np.int64)
        scores, ids = self.index.search(queries, k)
        return scores, ids
