"""Reading the catalog and the FAQ from JSON or YAML, with the line of every row.

``load_catalog`` / ``load_faq`` are strict: the files in the active knowledge dir
must be valid as a whole, and a broken one raises ``CatalogError`` listing each
problem as ``file:line: reason``. The importer reuses ``read_document`` and the
validation module, but keeps the good rows instead of failing.
"""

import bisect
import json
from dataclasses import dataclass, field
from json.decoder import scanstring
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

import yaml

from bot import settings
from bot.catalog.model import Catalog, CatalogError, FaqEntry
from bot.catalog.validation import Row, build_catalog, errors_only, validate_faq

PathLike = Union[str, Path]
CATALOG_LISTS = ("categories", "brands", "attributes", "products")
FAQ_LISTS = ("entries",)
MAX_REPORTED = 25


@dataclass
class Document:
    """A parsed file: its top-level mapping and, per list section, (line, row) pairs."""

    file: str
    data: Dict[str, Any]
    rows: Dict[str, List[Row]] = field(default_factory=dict)


class _JsonLines:
    """Finds the line where each element of a top-level list starts, walking the
    JSON text with the standard decoder (exact, also for duplicate or id-less rows)."""

    _WS = " \t\n\r"

    def __init__(self, text: str) -> None:
        self.text = text
        self.newlines = [i for i, ch in enumerate(text) if ch == "\n"]
        self.decoder = json.JSONDecoder()

    def line_of(self, index: int) -> int:
        return bisect.bisect_right(self.newlines, index - 1) + 1

    def _skip(self, i: int) -> int:
        while i < len(self.text) and self.text[i] in self._WS:
            i += 1
        return i

    def element_lines(self, keys: Sequence[str]) -> Dict[str, List[int]]:
        text, found = self.text, {}
        i = self._skip(0)
        if i >= len(text) or text[i] != "{":
            return found
        i = self._skip(i + 1)
        while i < len(text) and text[i] != "}":
            key, i = scanstring(text, i + 1)
            i = self._skip(self._skip(i) + 1)  # past ':'
            if key in keys and text[i] == "[":
                lines, i = [], self._skip(i + 1)
                while text[i] != "]":
                    lines.append(self.line_of(i))
                    _, i = self.decoder.raw_decode(text, i)
                    i = self._skip(i)
                    if text[i] == ",":
                        i = self._skip(i + 1)
                found[key] = lines
                i += 1
            else:
                _, i = self.decoder.raw_decode(text, i)
            i = self._skip(i)
            if i < len(text) and text[i] == ",":
                i = self._skip(i + 1)
        return found


def _yaml_element_lines(text: str, keys: Sequence[str]) -> Dict[str, List[int]]:
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    found: Dict[str, List[int]] = {}
    if not isinstance(node, yaml.MappingNode):
        return found
    for key_node, value_node in node.value:
        if key_node.value in keys and isinstance(value_node, yaml.SequenceNode):
            found[key_node.value] = [item.start_mark.line + 1 for item in value_node.value]
    return found


def read_document(path: PathLike, list_keys: Sequence[str]) -> Document:
    """Parse a JSON or YAML file into a ``Document``; unreadable -> ``CatalogError``."""
    path = Path(path)
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{file}: cannot read file: {exc}") from exc
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            data = json.loads(text)
            lines = _JsonLines(text).element_lines(list_keys) if isinstance(data, dict) else {}
        elif suffix in (".yml", ".yaml"):
            data = yaml.safe_load(text)
            lines = _yaml_element_lines(text, list_keys) if isinstance(data, dict) else {}
        else:
            raise CatalogError(f"{file}: unsupported file type '{suffix}' (use .json, .yml or .yaml"
                               f"{'; CSV files go through python -m bot.catalog.importer' if suffix == '.csv' else ''})")
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{file}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise CatalogError(f"{file}:{line}: invalid YAML: {getattr(exc, 'problem', None) or exc}") from exc
    if not isinstance(data, dict):
        raise CatalogError(f"{file}:1: expected an object with {', '.join(list_keys)}")
    rows: Dict[str, List[Row]] = {}
    for key in list_keys:
        items = data.get(key) or []
        if not isinstance(items, list):
            raise CatalogError(f"{file}:1: '{key}' must be a list")
        item_lines = lines.get(key) or [1] * len(items)
        rows[key] = list(zip(item_lines, items))
    return Document(file=file, data=data, rows=rows)


def _raise_if_errors(file: str, problems: list, what: str) -> None:
    errors = errors_only(problems)
    if errors:
        shown = "\n".join(str(p) for p in errors[:MAX_REPORTED])
        more = f"\n... and {len(errors) - MAX_REPORTED} more" if len(errors) > MAX_REPORTED else ""
        raise CatalogError(f"{file}: invalid {what}, {len(errors)} problem(s):\n{shown}{more}")


def catalog_from_document(doc: Document, base: Optional[Catalog] = None, lenient: bool = False):
    """(Catalog, problems) for a parsed catalog document."""
    shop = doc.data.get("shop") or {}
    if not isinstance(shop, dict):
        shop = {}
    return build_catalog(doc.file, shop, doc.rows["categories"], doc.rows["brands"], doc.rows["attributes"],
                         doc.rows["products"], base=base, lenient=lenient)


def load_catalog(path: Optional[PathLike] = None) -> Catalog:
    """The validated catalog (default: the active knowledge dir's catalog.json)."""
    path = Path(path) if path is not None else settings.catalog_path()
    doc = read_document(path, CATALOG_LISTS)
    catalog, problems = catalog_from_document(doc)
    _raise_if_errors(doc.file, problems, "catalog")
    if not catalog.products:
        raise CatalogError(f"{doc.file}: the catalog has no products")
    return catalog


def load_faq(path: Optional[PathLike] = None) -> List[FaqEntry]:
    """The validated FAQ entries (default: the active knowledge dir's faq.yml)."""
    path = Path(path) if path is not None else settings.faq_path()
    if path.suffix.lower() == ".csv":
        from bot.catalog.csv_format import read_faq_csv

        file, rows, problems = read_faq_csv(path)
        _raise_if_errors(file, problems, "FAQ")
    else:
        doc = read_document(path, FAQ_LISTS)
        file, rows = doc.file, doc.rows["entries"]
    entries, problems = validate_faq(file, rows)
    _raise_if_errors(file, problems, "FAQ")
    if not entries:
        raise CatalogError(f"{file}: the FAQ has no entries")
    return entries
