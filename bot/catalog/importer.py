"""Import a shop's own catalog and/or FAQ: validate, report bad rows, keep the good ones.

    python -m bot.catalog.importer --catalog FILE(.json|.yml|.csv) --faq FILE(.yml|.json|.csv)
                                   [--into DIR] [--dry-run]

Each bad row is printed as ``file:line: reason`` and left out; the good rows are
written to ``DIR`` (default ``bot.settings.imported_knowledge_dir()``, which the
assistant then uses) as ``catalog.json`` and ``faq.yml`` in the bundled format.
Definitions the file leaves out (categories, attribute types, brand names) come from
the catalog in use, so a CSV needs only product rows. Importing only one of the two
copies the other from the active knowledge dir, so the pair in DIR stays consistent.

Exit status: 0 when rows were imported, 1 when a given file had no good row (nothing
is written then), 2 when a file cannot be read or lacks required columns.
"""

import argparse
import os
import shutil
import sys
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import yaml

from bot import settings
from bot.catalog.csv_format import read_catalog_csv, read_faq_csv
from bot.catalog.jsonfmt import render_json
from bot.catalog.loader import (
    CATALOG_LISTS, FAQ_LISTS, catalog_from_document, load_catalog, load_faq, read_document,
)
from bot.catalog.model import FORMAT_VERSION, Catalog, CatalogError, FaqEntry
from bot.catalog.validation import Problem, build_catalog, validate_faq


def active_catalog() -> Optional[Catalog]:
    """The catalog in use (else the bundled demo): supplies categories and attribute types."""
    for path in (settings.catalog_path(), settings.BUNDLED_KNOWLEDGE_DIR / settings.CATALOG_FILE):
        try:
            return load_catalog(path)
        except CatalogError:
            continue
    return None


def import_catalog(path: Path, base: Optional[Catalog]) -> Tuple[Catalog, List[Problem], int]:
    """(catalog of the good rows, problems, number of rows in the file)."""
    if path.suffix.lower() == ".csv":
        file, rows, new_specs, problems = read_catalog_csv(path, dict(base.attributes) if base else {})
        shop = dict(base.shop) if base else {}
        catalog, more = build_catalog(file, shop, [], [], new_specs, rows, base=base, lenient=True)
        total = len(rows) + sum(1 for p in problems if not p.warning)
        return catalog, sorted(problems + more, key=lambda p: (p.line, p.warning)), total
    doc = read_document(path, CATALOG_LISTS)
    catalog, problems = catalog_from_document(doc, base=base, lenient=True)
    return catalog, problems, len(doc.rows["products"])


def import_faq(path: Path) -> Tuple[List[FaqEntry], List[Problem], int]:
    """(good entries, problems, number of entries in the file)."""
    if path.suffix.lower() == ".csv":
        file, rows, problems = read_faq_csv(path)
    else:
        doc = read_document(path, FAQ_LISTS)
        file, rows, problems = doc.file, doc.rows["entries"], []
    entries, more = validate_faq(file, rows)
    return entries, problems + more, len(rows)


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def catalog_json(catalog: Catalog) -> str:
    return render_json(catalog.to_dict()) + "\n"


def faq_yaml(entries: List[FaqEntry]) -> str:
    data = {"version": FORMAT_VERSION, "entries": [e.to_dict() for e in entries]}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.catalog.importer",
                                     description="Validate and import a shop's catalog and/or FAQ.")
    parser.add_argument("--catalog", type=Path, help="catalog file: .json, .yml or .csv")
    parser.add_argument("--faq", type=Path, help="FAQ file: .yml, .json or .csv")
    parser.add_argument("--into", type=Path, default=None,
                        help=f"target directory (default: {settings.imported_knowledge_dir()})")
    parser.add_argument("--dry-run", action="store_true", help="validate and report only; write nothing")
    args = parser.parse_args(argv)
    if args.catalog is None and args.faq is None:
        parser.error("give --catalog FILE, --faq FILE or both")
    into = args.into or settings.imported_knowledge_dir()
    active_dir = settings.knowledge_dir()

    catalog: Optional[Catalog] = None
    entries: Optional[List[FaqEntry]] = None
    nothing = False
    try:
        if args.catalog is not None:
            catalog, problems, total = import_catalog(args.catalog, active_catalog())
            for problem in problems:
                print(problem)
            verb = "would import" if args.dry_run else "imported"
            print(f"{verb} {_count(len(catalog.products), 'product', 'products')} "
                  f"({total - len(catalog.products)} rejected)")
            nothing |= not catalog.products
        if args.faq is not None:
            entries, problems, total = import_faq(args.faq)
            for problem in problems:
                print(problem)
            verb = "would import" if args.dry_run else "imported"
            print(f"{verb} {_count(len(entries), 'FAQ entry', 'FAQ entries')} ({total - len(entries)} rejected)")
            nothing |= not entries
    except CatalogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if nothing:
        print("nothing imported: a file had no valid rows; fix the rows above and run again", file=sys.stderr)
        return 1
    if args.dry_run:
        print("dry run: nothing written")
        return 0

    # The other half of the pair comes from the knowledge in use, unless it is already there.
    copies = []
    if catalog is None:
        copies.append(settings.CATALOG_FILE)
    if entries is None:
        copies.append(settings.FAQ_FILE)
    for name in copies:
        source, target = active_dir / name, into / name
        if _same(source, target):
            continue
        if source.exists():
            into.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            print(f"copied {source} -> {target}")
        else:
            print(f"warning: {source} does not exist; {target} not written", file=sys.stderr)
    # FAQ first: the catalog file is what makes the directory the active one.
    if entries is not None:
        _write_atomic(into / settings.FAQ_FILE, faq_yaml(entries))
        load_faq(into / settings.FAQ_FILE)  # what we wrote must load strictly
        print(f"wrote {into / settings.FAQ_FILE}")
    if catalog is not None:
        _write_atomic(into / settings.CATALOG_FILE, catalog_json(catalog))
        load_catalog(into / settings.CATALOG_FILE)
        print(f"wrote {into / settings.CATALOG_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
