import pytest

from bot.budget import parse_budgets


@pytest.mark.parametrize(
    "text, role, low, high",
    [
        ("a laptop under $300", "max", None, 300.0),
        ("less than 80 bucks please", "max", None, 80.0),
        ("at least 50 usd", "min", 50.0, None),
        ("between $200 and $400", "range", 200.0, 400.0),
        ("from 200 to 400 dollars", "range", 200.0, 400.0),
        ("$100-$150 range", "range", 100.0, 150.0),
        ("phones around 150 dollars", "approx", 127.5, 172.5),
        ("my budget is 1.2k", "approx", 1020.0, 1380.0),
        ("a $1,299 laptop", "approx", 1104.15, 1493.85),
        ("under $300, please", "max", None, 300.0),
        ("budget $150.", "approx", 127.5, 172.5),
        ("I do not want to spend more than $120", "max", None, 120.0),
    ],
)
def test_budgets_become_numbers(text, role, low, high):
    [budget] = parse_budgets(text)
    assert (budget.role, budget.minimum, budget.maximum) == (role, low, high)
    assert text[budget.start:budget.end] == budget.text
    assert budget.as_value() == {"min": low, "max": high, "currency": "USD"}


@pytest.mark.parametrize(
    "text",
    [
        "where is order ORD-104233",
        "#104233",
        "returns within 30 days",
        "up to 2 weeks",
        "size 10-12",
        "a tent for 2 people",
        "more than 2 cameras",
        "about 3 weeks ago",
        "the 2019 model",
        "",
    ],
)
def test_numbers_that_are_not_money_are_ignored(text):
    assert parse_budgets(text) == []
