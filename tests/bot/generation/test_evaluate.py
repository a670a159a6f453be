"""The held-out evaluation, scored on a scripted fake generator whose answers are known:
a faithful one, one that states a wrong price, and one that says nothing of the facts."""

import statistics

import pytest

from bot.generation.dataset import KINDS, PRODUCT, build_dataset
from bot.generation.evaluate import coverage, evaluate, pick


@pytest.fixture(scope="module")
def held_out(names):
    return build_dataset(names=names).held_out


def test_metrics_on_a_scripted_generator(held_out, names, scripted):
    pairs = [p for p in held_out if p.kind == PRODUCT][:9]
    by_prompt = {p.prompt().user: (i, p) for i, p in enumerate(pairs)}
    expected_texts = []

    def answer(prompt):
        i, pair = by_prompt[prompt.user]
        name = pair.facts.products[0].name
        return [pair.target, f"The {name} is $1.00 today.", "Happy to help!"][i % 3]

    for i, pair in enumerate(pairs):
        expected_texts.append(answer(pair.prompt()))
    result = evaluate(pairs, scripted(answer, delay_s=0.01), names=names, keep_replies=3)

    assert result["replies"] == 9
    assert result["fallback_rate"] == round(6 / 9, 3)  # the wrong price and the empty answer
    assert result["guardrail_pass_rate"] == round(3 / 9, 3)
    assert result["hallucination_rate"] == round(3 / 9, 3)  # only "$1.00" is an unsupported entity
    assert result["unsupported_reaching_shopper"] == 0 and result["unsupported_reaching_shopper_rate"] == 0
    # coverage of the template's key facts: the mean of each reply's share
    expected = [coverage(t, p.template, names, p.facts) for t, p in zip(expected_texts, pairs)]
    assert result["fact_coverage"] == pytest.approx(statistics.mean(expected), abs=1e-3)
    assert expected[0] > expected[1] > expected[2] == 0.0  # faithful, the name only, nothing
    assert result["mean_chars"] == round(statistics.mean(len(t) for t in expected_texts), 1)
    assert result["why"]["unsupported_price"] == 3 and result["why"]["drops_facts"] >= 3
    assert result["by_kind"] == {PRODUCT: {"replies": 9, "fallback_rate": round(6 / 9, 3)}}
    assert result["decode_tok_s"] is not None and result["p95_reply_s"] >= result["p50_reply_s"]
    assert [s["path"] for s in result["samples"]] == ["generated", "fallback", "fallback"]


def test_a_guard_that_lets_nothing_unsupported_through_is_what_is_measured(held_out, names, scripted):
    """Every reply the fake gives is a hallucination; none reaches the shopper."""
    pairs = pick(held_out, 12)
    result = evaluate(pairs, scripted("Order ORD-999999 from Maria Garcia costs $1.00."), names=names)
    assert result["hallucination_rate"] == 1.0 and result["fallback_rate"] == 1.0
    assert result["unsupported_reaching_shopper"] == 0


def test_pick_spreads_over_every_kind_deterministically(held_out):
    chosen = pick(held_out, 30)
    assert chosen == pick(held_out, 30) and len(chosen) == 30
    assert {p.kind for p in chosen} == set(KINDS)
    assert pick(held_out, None) == list(held_out)


def test_coverage_counts_the_answers_subject_products_and_prices(names, catalog):
    from bot.generation.facts import Facts, ProductFact

    facts = Facts(products=(ProductFact.from_product(catalog.product("SKU-10001")),))
    template = "Samsung Galaxy S24 — $799.00, in stock\nPairs with the Google Pixel 8 charger."
    assert coverage("The Samsung Galaxy S24 is $799.00.", template, names, facts) == 1.0
    assert coverage("The Samsung Galaxy S24 is in stock.", template, names, facts) == 0.5
    assert coverage("Happy to help!", template, names, facts) == 0.0
    assert coverage("The Samsung Galaxy S24 is $799.00.", template, names) < 1.0  # without facts: every name counts
