import numpy as np

from bot.retrieval.embedder import MAX_CHARS, Embedder, clean_text, get_embedder, pick_device


def test_clean_text_tolerates_anything():
    assert clean_text(None) == ""
    assert clean_text("  \n\t ") == ""
    assert clean_text("  where   is\nmy order ") == "where is my order"
    assert clean_text(12345) == "12345"
    assert len(clean_text("word " * 100_000)) == MAX_CHARS


def test_vectors_are_normalized_float32(embedder):
    vectors = embedder.encode(["Where is my order?", "Do you ship to Canada?"])
    assert vectors.dtype == np.float32
    assert vectors.shape == (2, embedder.dimension) == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_empty_batch_gives_empty_matrix(embedder):
    assert embedder.encode([]).shape == (0, 384)


def test_progress_bar_path_gives_same_vectors(embedder):
    texts = [f"question number {i}" for i in range(5)]
    np.testing.assert_allclose(embedder.encode(texts, progress=True, batch_size=2), embedder.encode(texts),
                               atol=1e-5)


def test_repeated_queries_come_from_the_cache(embedder):
    first = embedder.encode_query("is the return label free? (cache test)")
    before = embedder.texts_encoded
    again = embedder.encode_query("  is the return label   free? (cache test)")
    assert embedder.texts_encoded == before
    np.testing.assert_array_equal(first, again)
    assert first.shape == (1, 384)


def test_cache_is_bounded_lru(embedder):
    small = Embedder(cache_size=2)
    small._model = embedder.model  # share the loaded weights, keep a separate cache
    small.encode_query("a"), small.encode_query("b"), small.encode_query("a"), small.encode_query("c")
    assert list(small._cache) == ["a", "c"]  # "b" was least recently used


def test_one_embedder_per_process():
    assert get_embedder() is get_embedder()


def test_device_follows_torch():
    import torch

    assert pick_device() == ("cuda" if torch.cuda.is_available() else "cpu")


def test_query_threads_are_restored(monkeypatch, embedder):
    import torch

    from bot.retrieval.embedder import query_threads, torch_threads

    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    monkeypatch.setenv("SHOPBOT_QUERY_THREADS", "not a number")
    assert query_threads() == 1
    monkeypatch.setenv("SHOPBOT_QUERY_THREADS", "0")
    with torch_threads(query_threads()):
        assert torch.get_num_threads() == before
    embedder.encode_query("threads restored after a query?")
    assert torch.get_num_threads() == before
