"""The on-disk JSON style of catalog files: indented objects, short lists on one line.

Keeping lists of scalars (colours, aliases, relation ids) on one line makes a 400-product
catalog about half as long as ``json.dumps(indent=2)`` and keeps diffs readable. Both
the demo generator and the importer write with it, so the two files look alike.
"""

import json
from typing import Any


def render_json(value: Any, indent: int = 0) -> str:
    """Deterministic pretty JSON (key order as given) without a trailing newline."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {render_json(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, (list, tuple)):
        if all(not isinstance(v, (dict, list, tuple)) for v in value):
            return json.dumps(list(value), ensure_ascii=False)
        return "[\n" + ",\n".join(inner + render_json(v, indent + 1) for v in value) + "\n" + pad + "]"
    return json.dumps(value, ensure_ascii=False)
