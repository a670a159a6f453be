"""Demo campaigns on the demo shop (``python -m bot.campaigns create --demo [name]``):

- ``apple-chargers`` (A/B): Apple chargers for owners of the devices they fit, three
  variants (plain wording, personal wording, the graph recommender's pick);
- ``spring-runners`` (bandit): new running shoes for runners whose last pair is more than
  five months old, before the season.
"""

DEMO_CAMPAIGN = {
    "id": "apple-chargers",
    "name": "Chargers for your Apple devices",
    "mode": "ab",
    "holdout": 0.1,
    "offer": {"product_ids": ["SKU-10196", "SKU-10195"], "discount": "15% off with code CHARGE15 this week"},
    "variants": [
        {"name": "control", "template": "New this week: {product} for {price}, {discount}."},
        {"name": "personal", "template": "Hi {first_name}! The {product} {reason}: {price}, {discount}."},
        {"name": "graph", "recommender": "graph",
         "template": "Hi {first_name}, the {product} {reason}. It is {price}, {discount}."},
    ],
    "segment": [{"rule": "owns_accessory_target"}],
    "conversion_days": 14,
    "max_impressions": 1,
}

SPRING_RUNNERS = {
    "id": "spring-runners",
    "name": "New shoes for the spring season",
    "mode": "bandit",
    "holdout": 0.1,
    "offer": {"product_ids": ["SKU-10290"], "discount": "free returns for 60 days"},
    "variants": [
        {"name": "control", "template": "Spring is coming: the {product} is here for {price}, {discount}."},
        {"name": "personal", "template": "Hi {first_name}, time for a new pair? The {product} is {price}, {discount}."},
        {"name": "trail", "offer": {"product_ids": ["SKU-10293"], "discount": "free returns for 60 days"},
         "template": "Hi {first_name}! Take it off-road this spring: the {product}, {price}, {discount}."},
    ],
    "segment": [{"rule": "lapsed", "category": "running_shoes", "days": 150}],
    "conversion_days": 21,
    "max_impressions": 1,
}

DEMOS = {"apple-chargers": DEMO_CAMPAIGN, "spring-runners": SPRING_RUNNERS}
