"""Build or refresh the cached knowledge index: ``python -m bot.retrieval.build [--force]``.

Run it after changing the catalog or FAQ (or let the action server build on first
use). It prints where the cache lives and how long it took; a second run with
unchanged inputs loads the cache and returns at once.
"""

import argparse
import sys
import time
from pathlib import Path
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.retrieval.build", description=__doc__.split("\n")[0])
    parser.add_argument("--force", action="store_true", help="rebuild even when the cache matches")
    parser.add_argument("--catalog", type=Path, default=None, help="catalog.json (default: settings)")
    parser.add_argument("--faq", type=Path, default=None, help="faq.yml (default: settings)")
    parser.add_argument("--cache-dir", type=Path, default=None, help="default: bot.settings.index_dir()")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)

    from bot.catalog import load_catalog, load_faq
    from bot.retrieval.index import KnowledgeIndex

    started = time.perf_counter()
    catalog = load_catalog(args.catalog)
    faq = load_faq(args.faq)
    index = KnowledgeIndex.load_or_build(catalog, faq, cache_dir=args.cache_dir,
                                         progress=not args.no_progress, force=args.force)
    elapsed = time.perf_counter() - started
    action = "built" if index.built else "up to date (loaded from cache)"
    print(f"Knowledge index {action}: {len(index.faq_entries)} FAQ entries "
          f"({index.faq_index.ntotal} rows), {index.product_index.ntotal} products, "
          f"device {index.faq_index.device}")
    print(f"Cache: {index.path}")
    print(f"Took {elapsed:.1f} s ({index.seconds:.1f} s in the index: "
          f"{'loading the encoder and embedding' if index.built else 'reading the cache'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
