"""Hand-written facts of the demo shop, one module per group of categories.

``TABLES`` fixes the order in which products get their ids (SKU-10001 upwards), so
append new products at the end of a table's category or accept that later ids move.
"""

from bot.catalog.demo_data.audio import HEADPHONES, SPEAKERS
from bot.catalog.demo_data.cases_bands import CASES, WATCH_BANDS
from bot.catalog.demo_data.outdoor_fitness import BACKPACKS, HOME_GYM, TENTS, YOGA_MATS
from bot.catalog.demo_data.phones_laptops import LAPTOPS, PHONES
from bot.catalog.demo_data.photo import ACTION_CAMERAS, CAMERAS, LENSES
from bot.catalog.demo_data.power import CABLES, CHARGERS
from bot.catalog.demo_data.running_cycling import BIKES, HELMETS, RUNNING_SHOES
from bot.catalog.demo_data.taxonomy import ATTRIBUTES, BRANDS, CATEGORIES
from bot.catalog.demo_data.wearables import RUNNING_WATCHES, SMARTWATCHES

SHOP = {"name": "Peak & Pixel", "currency": "USD", "base_url": "https://shop.example.com"}

TABLES = [
    ("phones", PHONES), ("laptops", LAPTOPS), ("headphones", HEADPHONES), ("speakers", SPEAKERS),
    ("smartwatches", SMARTWATCHES), ("running_watches", RUNNING_WATCHES), ("cameras", CAMERAS),
    ("action_cameras", ACTION_CAMERAS), ("lenses", LENSES), ("chargers", CHARGERS), ("cables", CABLES),
    ("cases", CASES), ("watch_bands", WATCH_BANDS), ("running_shoes", RUNNING_SHOES), ("bikes", BIKES),
    ("helmets", HELMETS), ("tents", TENTS), ("backpacks", BACKPACKS), ("yoga_mats", YOGA_MATS),
    ("home_gym", HOME_GYM),
]

__all__ = ["ATTRIBUTES", "BRANDS", "CATEGORIES", "SHOP", "TABLES"]
