"""A demo campaign on the demo shop: Apple chargers for owners of the devices they fit."""

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
