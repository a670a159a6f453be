"""The spreadsheet formats: a catalog CSV and a FAQ CSV.

Most shops keep their catalog in a spreadsheet, so the importer accepts CSV next to
JSON. Cells are text; this module turns them into typed rows (numbers, lists,
booleans) and leaves a cell as written when it does not parse, so validation can
report it with its line ("price must be a number >= 0, got 'abc'").

Catalog columns: ``id,name,brand,category,price,stock,rating,reviews,description,url,
image,aliases`` (aliases ';'-separated), then ``attr:<key>`` columns (lists
';'-separated, booleans true/false) and the relation columns ``accessory_of,
compatible_with,successor_of,similar_to,frequently_bought_with`` (';'-separated ids).
FAQ columns: ``id,title,question,paraphrases,answer,tags`` (paraphrases '|'-separated,
tags ';'-separated). The header is line 1; a quoted cell may span lines.
"""

import csv
import re
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

from bot.catalog.model import RELATIONS, AttributeSpec, Catalog, CatalogError, FaqEntry
from bot.catalog.validation import REQUIRED_PRODUCT_FIELDS, Problem, Row, infer_attribute_type

PathLike = Union[str, Path]
CATALOG_COLUMNS = ("id", "name", "brand", "category", "price", "stock", "rating", "reviews", "description",
                   "url", "image", "aliases")
FAQ_COLUMNS = ("id", "title", "question", "paraphrases", "answer", "tags")
REQUIRED_FAQ_COLUMNS = ("id", "title", "question", "paraphrases", "answer")
ATTR_PREFIX = "attr:"
LIST_SEP = ";"
PARAPHRASE_SEP = "|"
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def split_list(cell: str, sep: str = LIST_SEP) -> List[str]:
    return [part.strip() for part in cell.split(sep) if part.strip()]


def parse_number(cell: str) -> Any:
    """int or float when the cell is a number, else the cell unchanged."""
    text = cell.strip()
    if not _NUMBER.match(text):
        return text
    value = float(text)
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


def parse_bool(cell: str) -> Any:
    text = cell.strip().lower()
    return True if text in _TRUE else False if text in _FALSE else cell.strip()


def parse_cell(cell: str, kind: str) -> Any:
    if kind == "number":
        return parse_number(cell)
    if kind == "bool":
        return parse_bool(cell)
    if kind == "list":
        return split_list(cell)
    return cell.strip()


def _read(path: PathLike) -> Tuple[str, List[str], List[Tuple[int, List[str]]]]:
    """(file, header, [(line where the record starts, cells)]) with blank lines skipped."""
    path = Path(path)
    file = str(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            records, last_line = [], 0
            for cells in reader:
                start, last_line = last_line + 1, reader.line_num
                if any(c.strip() for c in cells):
                    records.append((start, cells))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CatalogError(f"{file}: cannot read CSV: {exc}") from exc
    if not records:
        raise CatalogError(f"{file}:1: missing header row")
    (_, header), rows = records[0], records[1:]
    return file, [h.strip() for h in header], rows


def _check_header(file: str, header: List[str], required: Iterable[str]) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        raise CatalogError(f"{file}:1: missing required column(s): {', '.join(missing)}")
    seen = set()
    for column in header:
        if column in seen:
            raise CatalogError(f"{file}:1: duplicate column '{column}'")
        seen.add(column)


def read_catalog_csv(path: PathLike, attributes: Dict[str, AttributeSpec]
                     ) -> Tuple[str, List[Row], List[Row], List[Problem]]:
    """(file, product rows, attribute rows for undeclared ``attr:`` columns, problems found
    while reading: header warnings and rows that do not fit the header).

    ``attributes`` are the declared specs used to type the ``attr:`` cells; a column
    without one gets a type inferred from its cells."""
    file, header, records = _read(path)
    _check_header(file, header, REQUIRED_PRODUCT_FIELDS)
    problems: List[Problem] = []
    kinds: Dict[str, str] = {}
    new_specs: List[Row] = []
    for index, column in enumerate(header):
        if column.startswith(ATTR_PREFIX):
            key = column[len(ATTR_PREFIX):].strip()
            if key in attributes:
                kinds[column] = attributes[key].type
                continue
            cells = [cells[index] for _, cells in records if index < len(cells) and cells[index].strip()]
            if any(LIST_SEP in c for c in cells):
                kind = "list"
            else:
                kind = infer_attribute_type([parse_bool(c) for c in cells])
                if kind != "bool":
                    kind = infer_attribute_type([parse_number(c) for c in cells])
            kinds[column] = kind
            new_specs.append((1, {"key": key, "label": key.replace("_", " ").capitalize(), "type": kind}))
            problems.append(Problem(file, 1, f"column {column} is not a declared attribute; added as type {kind}",
                                    warning=True))
        elif column not in CATALOG_COLUMNS and column not in RELATIONS:
            problems.append(Problem(file, 1, f"ignored unknown column '{column}'", warning=True))

    rows: List[Row] = []
    for line, cells in records:
        if len(cells) > len(header):
            # Even when the extra cells are empty the row is shifted: every cell after the stray
            # comma would land in the wrong column, so reject it instead of guessing.
            problems.append(Problem(file, line, f"{len(cells)} cells but the header has {len(header)} "
                                                f"columns (an unquoted comma? quote cells that contain commas)"))
            continue
        cell = {column: (cells[i] if i < len(cells) else "") for i, column in enumerate(header)}
        row: Dict[str, Any] = {}
        for column in CATALOG_COLUMNS:
            if column not in cell:
                continue
            value = cell[column]
            if column in ("price", "stock", "rating", "reviews"):
                row[column] = parse_number(value) if value.strip() else ""
            elif column == "aliases":
                row[column] = split_list(value)
            else:
                row[column] = value.strip()
        row["attributes"] = {column[len(ATTR_PREFIX):].strip(): parse_cell(cell[column], kind)
                             for column, kind in kinds.items() if cell[column].strip()}
        row["relations"] = {rel: split_list(cell[rel]) for rel in RELATIONS if rel in cell}
        rows.append((line, row))
    return file, rows, new_specs, problems


def read_faq_csv(path: PathLike) -> Tuple[str, List[Row], List[Problem]]:
    """(file, entry rows, header warnings) of a FAQ CSV."""
    file, header, records = _read(path)
    _check_header(file, header, REQUIRED_FAQ_COLUMNS)
    problems = [Problem(file, 1, f"ignored unknown column '{c}'", warning=True)
                for c in header if c not in FAQ_COLUMNS]
    rows: List[Row] = []
    for line, cells in records:
        cell = {column: (cells[i] if i < len(cells) else "") for i, column in enumerate(header)}
        rows.append((line, {
            "id": cell["id"].strip(), "title": cell["title"].strip(), "question": cell["question"].strip(),
            "paraphrases": split_list(cell["paraphrases"], PARAPHRASE_SEP), "answer": cell["answer"].strip(),
            "tags": split_list(cell.get("tags", "")),
        }))
    return file, rows, problems


def _format_cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return LIST_SEP.join(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return str(value)


def write_catalog_csv(catalog: Catalog, path: PathLike, products: Optional[List] = None) -> None:
    """Export (a part of) a catalog in the CSV format above: brand and category by id."""
    products = catalog.products if products is None else products
    keys = [k for k in catalog.attributes if any(k in p.attributes for p in products)]
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*CATALOG_COLUMNS, *(ATTR_PREFIX + k for k in keys), *RELATIONS])
        for p in products:
            writer.writerow([p.id, p.name, p.brand, p.category, _format_cell(p.price), p.stock,
                             _format_cell(p.rating), p.reviews, p.description, p.url, p.image,
                             LIST_SEP.join(p.aliases),
                             *(_format_cell(p.attributes[k]) if k in p.attributes else "" for k in keys),
                             *(LIST_SEP.join(p.relations.get(rel, [])) for rel in RELATIONS)])


def write_faq_csv(entries: List[FaqEntry], path: PathLike) -> None:
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(FAQ_COLUMNS)
        for e in entries:
            writer.writerow([e.id, e.title, e.question, PARAPHRASE_SEP.join(e.paraphrases), e.answer,
                             LIST_SEP.join(e.tags)])
