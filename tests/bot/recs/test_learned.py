"""The sequence model learns order from a small synthetic log and beats chance."""

import numpy as np

from bot.recs.learned import SequenceRecommender, TrainConfig


def synthetic(n_shoppers=240, n_items=30, seed=0):
    """Each shopper buys a "main" item i, then its accessory (i + 1) after viewing it."""
    rng = np.random.default_rng(seed)
    items = [f"p{i}" for i in range(n_items)]
    sequences, tests = [], []
    for _ in range(n_shoppers):
        main = int(rng.integers(0, n_items // 2)) * 2
        noise = f"p{int(rng.integers(0, n_items))}"
        seq = [(noise, "view"), (items[main], "view"), (items[main], "purchase"), (items[main + 1], "view"),
               (items[main + 1], "purchase")]
        sequences.append(seq)
        tests.append((seq[:-1], items[main + 1]))
    return items, sequences, tests


def test_learned_model_beats_random(tmp_path):
    items, train, _ = synthetic(seed=0)
    _, _, tests = synthetic(n_shoppers=60, seed=1)
    model = SequenceRecommender(items, TrainConfig(dim=16, epochs=25, batch_size=32, lr=0.01, seed=3,
                                                   threads=1)).fit(train, progress=False)
    scores = model.score_many([h for h, _ in tests])
    hits = sum(1 for row, (_, target) in zip(scores, tests) if target in [items[j] for j in np.argsort(-row)[:3]])
    assert hits / len(tests) > 0.8  # chance for a top 3 of 30 is 0.1
    assert model.history[-1] < model.history[0]

    # saved and loaded, it scores the same
    path = model.save(tmp_path / "m.pt")
    again = SequenceRecommender.load(path)
    assert np.allclose(again.score(tests[0][0]), scores[0], atol=1e-6)


def test_untrained_or_empty_history_scores_zero():
    model = SequenceRecommender(["a", "b"])
    assert not model.score([("a", "view")]).any()
    trained = SequenceRecommender(["a", "b"], TrainConfig(dim=8, epochs=1, threads=1)).fit(
        [[("a", "view"), ("b", "purchase")]], progress=False)
    assert not trained.score([]).any()
    assert trained.score([("a", "view")]).sum() > 0.99
