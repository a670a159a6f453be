"""The catalog file style: valid JSON, short lists inline, key order kept."""

import json

from bot.catalog.jsonfmt import render_json


def test_render_json_round_trips_and_inlines_scalar_lists():
    data = {"b": 1, "a": {"ids": ["x", "y"], "empty": [], "none": None, "flag": True, "nested": [{"k": "é"}]},
            "obj": {}}
    text = render_json(data)
    assert json.loads(text) == data
    assert '"ids": ["x", "y"]' in text and '"empty": []' in text and '"obj": {}' in text
    assert text.index('"b"') < text.index('"a"')  # insertion order, not sorted
    assert "é" in text and text.splitlines()[1] == '  "b": 1,'
