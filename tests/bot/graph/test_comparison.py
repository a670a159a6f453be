"""Formatting comparison values for people."""

from bot.catalog.model import AttributeSpec
from bot.graph.comparison import MISSING, format_number, format_price, format_value

HOURS = AttributeSpec("battery_life_h", "Battery life", "number", "h", "higher")
FOCAL = AttributeSpec("focal_length_mm", "Focal length", "text", "mm")
FLAG = AttributeSpec("wireless_charging", "Wireless charging", "bool")


def test_numbers_carry_units_without_float_noise():
    assert format_value(29, HOURS) == "29 h"
    assert format_value(29.0, HOURS) == "29 h"
    assert format_value(6.25, AttributeSpec("s", "Screen", "number", '"')) == '6.25"'
    assert format_number(12000) == "12,000"


def test_text_lists_bools_and_missing():
    assert format_value("IP68") == "IP68"
    assert format_value("24-105", FOCAL) == "24-105 mm"
    assert format_value(["black", "violet"]) == "black, violet"
    assert format_value(True, FLAG) == "yes" and format_value(False, FLAG) == "no"
    assert format_value("yes", FLAG) == "yes"
    assert format_value(None, HOURS) == MISSING and format_value([], None) == MISSING


def test_prices():
    assert format_price(799) == "$799.00"
    assert format_price(1299.5, "EUR") == "\u20ac1,299.50"
    assert format_price(10, "CHF") == "10.00 CHF"
    assert format_price(None) == MISSING
