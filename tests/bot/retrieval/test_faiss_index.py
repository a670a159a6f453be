import numpy as np
import pytest

from bot.retrieval import faiss_index
from bot.retrieval.faiss_index import FlatIndex, choose_device, gpu_count, normalize, to_device


def random_vectors(n, d=16, seed=0):
    return normalize(np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32))


def test_device_choice(monkeypatch):
    monkeypatch.delenv("SHOPBOT_FAISS_CPU", raising=False)
    assert choose_device(num_gpus=0) == "cpu"
    assert choose_device(num_gpus=1) == "gpu"
    monkeypatch.setenv("SHOPBOT_FAISS_CPU", "1")
    assert choose_device(num_gpus=1) == "cpu"


def test_default_device_matches_faiss(monkeypatch):
    monkeypatch.delenv("SHOPBOT_FAISS_CPU", raising=False)
    index = FlatIndex.build(random_vectors(10))
    assert index.device == ("gpu" if gpu_count() > 0 else "cpu")
    if gpu_count() == 0:
        assert index.index is index.cpu_index


def test_gpu_path_copies_the_index():
    cpu = FlatIndex.build(random_vectors(10), device="cpu").cpu_index
    copies = []
    result = to_device(cpu, "gpu", gpu_factory=lambda index: copies.append(index) or "on-gpu")
    assert result == "on-gpu" and copies == [cpu]
    assert to_device(cpu, "cpu", gpu_factory=lambda index: pytest.fail("no GPU copy on CPU")) is cpu


def test_search_is_exact_cosine():
    base, queries = random_vectors(200), random_vectors(5, seed=1)
    scores, ids = FlatIndex.build(base * 3.0).search(queries * 0.5, 4)  # scale doesn't matter: cosine
    expected = np.argsort(-(queries @ base.T), axis=1)[:, :4]
    np.testing.assert_array_equal(ids, expected)
    np.testing.assert_allclose(scores, np.take_along_axis(queries @ base.T, expected, axis=1), atol=1e-5)


def test_save_and_load_round_trip(tmp_path):
    base, queries = random_vectors(50), random_vectors(3, seed=2)
    index = FlatIndex.build(base)
    index.save(tmp_path / "x.faiss")
    loaded = FlatIndex.load(tmp_path / "x.faiss")
    assert loaded.ntotal == 50 and loaded.dimension == 16
    for a, b in zip(index.search(queries, 5), loaded.search(queries, 5)):
        np.testing.assert_array_equal(a, b)


def test_k_is_clamped_and_empty_index_searches():
    index = FlatIndex.build(random_vectors(3))
    assert index.search(random_vectors(1), 10)[1].shape == (1, 3)
    empty = FlatIndex.build(np.zeros((0, 16), dtype=np.float32))
    scores, ids = empty.search(random_vectors(2), 5)
    assert scores.shape == ids.shape == (2, 0)


def test_zero_vector_does_not_produce_nan():
    assert not np.isnan(normalize(np.zeros((1, 4)))).any()


def test_faiss_is_imported_lazily():
    import subprocess
    import sys

    code = "import sys, bot.retrieval.index, bot.retrieval.faq; print(*(m in sys.modules for m in ('faiss', 'torch', 'sentence_transformers')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False", "False"]
    assert faiss_index  # the module itself imported fine here
