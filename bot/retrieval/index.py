"""The knowledge index: FAQ entries and product documents in two FAISS indexes.

Why two indexes: an FAQ question and a product description answer different needs
and score on different scales; the dialogue decides which one to ask.

FAQ rows are the canonical question and every paraphrase of each entry, each row
mapped to its entry. An entry is scored (``search_faq``) by the cosine between the
query and the entry's *prototype*, the normalized mean of its row vectors
(``FAQ_SCORING = "prototype"``), rather than by its single best row (``"max"``).
Why: a prototype keeps what the paraphrases share (the intent) and averages away
what only one of them says (a product, a detail), so a new wording that matches one
paraphrase's incidental words no longer wins. The choice was made on a development
set that never touches the held-out benchmark: leave-one-out over the FAQ's own
paraphrases (each paraphrase queried against the other rows), where top-1 was 0.70
for best-row, 0.75 for mean-of-top-2 rows, 0.71 with the answer as an extra row and
0.83 for the prototype (recall@3 0.91 / 0.95 / 0.91 / 0.96; benchmarks/faq_eval.py
recomputes the best-row and prototype figures as its "development" table and then
measures the choice on held-out paraphrases). Prototypes are computed from the row
vectors in the FAISS file at load time (one small extra flat index, not stored).
Products are one document each: display name, aliases, category, brand,
description and attributes with labels and units (``product_document``).

Embedding takes seconds, so the vectors are cached on disk under
``bot.settings.index_dir()/<key>/`` (faq.faiss, products.faiss, meta.json), where
the key is the sha256 of exactly the texts and ids indexed, the encoder and
``FORMAT_VERSION``: any change of the catalog, the FAQ or the document recipe gives
a new key and a rebuild; the old directories are pruned. A build is written to a
temporary directory and renamed into place, so two processes building at once
never see a half-written cache (the loser of the rename just uses the winner's).
"""

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Text, Tuple

import numpy as np

from bot import settings
from bot.models import DEFAULT_ENCODER
from bot.retrieval.embedder import Embedder, clean_text, get_embedder
from bot.retrieval.faiss_index import FlatIndex

logger = logging.getLogger(__name__)

# Bump when the document recipe or file layout changes: old caches then miss.
FORMAT_VERSION = 1
# How an FAQ entry is scored from its rows: "prototype" (cosine to the mean row) or "max".
FAQ_SCORING = "prototype"
FAQ_FILE = "faq.faiss"
PRODUCTS_FILE = "products.faiss"
META_FILE = "meta.json"
# Temporary build directories older than this are leftovers of a killed build.
STALE_TMP_SECONDS = 3600
# FAQ search scores at most this many rows before taking the best per entry
# (all rows for any realistic FAQ; bounded for GPU search, which caps k at 2048).
MAX_FAQ_ROWS_SEARCHED = 2048


@dataclass(frozen=True)
class FaqHit:
    entry: Any  # bot.catalog.FaqEntry
    score: float


@dataclass(frozen=True)
class ProductHit:
    product: Any  # bot.catalog.Product
    score: float


def faq_rows(faq: Iterable[Any]) -> Tuple[List[Text], List[Text]]:
    """(texts, entry ids): the question and each paraphrase of every entry, deduplicated."""
    texts: List[Text] = []
    ids: List[Text] = []
    for entry in faq:
        seen = set()
        for text in [entry.question, *(entry.paraphrases or [])]:
            text = clean_text(text)
            if text and text.lower() not in seen:
                seen.add(text.lower())
                texts.append(text)
                ids.append(entry.id)
    return texts, ids


def _format_value(value: Any, unit: Optional[Text]) -> Text:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value} {unit}" if unit else str(value)


def product_document(product: Any, catalog: Any = None) -> Text:
    """The text a product is found by: what it is, who makes it, what it does.

    Description comes before the attribute list because MiniLM reads only the
    first 256 word pieces; attributes are the part we can best afford to lose.
    """
    category = catalog.category(product.category) if catalog is not None else None
    category_name = getattr(category, "name", None) or str(product.category)
    singular = getattr(category, "singular", None)
    display = getattr(product, "display_name", None) or product.name
    parts = [f"{display}."]
    aliases = [a for a in (getattr(product, "aliases", None) or []) if a and a not in display]
    if aliases:
        parts.append(f"Also known as {', '.join(aliases)}.")
    kind = f"{category_name} ({singular})" if singular and singular.lower() != category_name.lower() else category_name
    brand_name = getattr(product, "brand_name", None) or str(product.brand)
    parts.append(f"{kind} by {brand_name}.")
    if getattr(product, "description", None):
        parts.append(str(product.description).strip())
    specs = getattr(catalog, "attributes", None) or {}
    details = []
    for key, value in (getattr(product, "attributes", None) or {}).items():
        if value is None or value == [] or value == "":
            continue
        spec = specs.get(key)
        label = getattr(spec, "label", None) or key.replace("_", " ")
        details.append(f"{label}: {_format_value(value, getattr(spec, 'unit', None))}")
    if details:
        parts.append("; ".join(details) + ".")
    return " ".join(parts)


def product_rows(catalog: Any) -> Tuple[List[Text], List[Text]]:
    products = list(getattr(catalog, "products", None) or []) if catalog is not None else []
    return [product_document(p, catalog) for p in products], [p.id for p in products]


def cache_key(faq_texts: Sequence[Text], faq_ids: Sequence[Text], product_texts: Sequence[Text],
              product_ids: Sequence[Text], encoder: Text) -> Text:
    """sha256 of everything that determines the vectors (canonical JSON)."""
    payload = json.dumps(
        {"format": FORMAT_VERSION, "encoder": encoder,
         "faq": [list(faq_ids), list(faq_texts)], "products": [list(product_ids), list(product_texts)]},
        sort_keys=True, ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _is_cache_name(name: Text) -> bool:
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


def prune(root: Path, keep: Text) -> List[Path]:
    """Remove cache directories other than ``keep``, and stale temporary ones."""
    removed = []
    if not root.is_dir():
        return removed
    now = time.time()
    for child in root.iterdir():
        stale_tmp = child.name.startswith(".tmp-") and now - child.stat().st_mtime > STALE_TMP_SECONDS
        if child.is_dir() and ((_is_cache_name(child.name) and child.name != keep) or stale_tmp):
            shutil.rmtree(child, ignore_errors=True)
            removed.append(child)
    return removed


class KnowledgeIndex:
    """FAQ and product search over cached FAISS indexes. Build with ``load_or_build``."""

    def __init__(self, faq: Sequence[Any], faq_row_ids: Sequence[Text], faq_index: FlatIndex,
                 products: Sequence[Any], product_index: FlatIndex, embedder: Embedder,
                 path: Optional[Path] = None, built: bool = False, seconds: float = 0.0) -> None:
        self.faq_entries = list(faq)
        self._faq_by_id = {e.id: e for e in self.faq_entries}
        self.faq_row_ids = list(faq_row_ids)
        self.faq_index = faq_index
        self.faq_scoring = FAQ_SCORING
        self._prototype_ids, self.faq_prototypes = self._prototypes(faq_index, self.faq_row_ids)
        self.products = list(products)
        self.product_index = product_index
        self.embedder = embedder
        self.path = path
        self.built = built  # True when this call encoded; False when loaded from cache
        self.seconds = seconds

    @classmethod
    def load_or_build(cls, catalog: Any, faq: Optional[Sequence[Any]], cache_dir: Optional[Path] = None,
                      progress: bool = True, embedder: Optional[Embedder] = None,
                      force: bool = False) -> "KnowledgeIndex":
        """The index for this catalog and FAQ: from the cache when it matches, else built.

        ``cache_dir`` defaults to ``bot.settings.index_dir()``. ``force`` rebuilds
        even when a matching cache exists.
        """
        started = time.perf_counter()
        embedder = embedder or get_embedder(DEFAULT_ENCODER)
        faq = list(faq or [])
        products = list(getattr(catalog, "products", None) or []) if catalog is not None else []
        faq_texts, faq_ids = faq_rows(faq)
        product_texts, product_ids = product_rows(catalog)
        root = Path(cache_dir) if cache_dir is not None else settings.index_dir()
        key = cache_key(faq_texts, faq_ids, product_texts, product_ids, embedder.model_name)
        path = root / key
        replace = force
        if not force:
            loaded = cls._load(path, faq, faq_ids, products, embedder)
            if loaded is not None:
                loaded.seconds = time.perf_counter() - started
                return loaded
            replace = path.exists()  # there, but damaged or inconsistent
        faq_vectors = embedder.encode(faq_texts, progress=progress) if faq_texts else None
        product_vectors = embedder.encode(product_texts, progress=progress) if product_texts else None
        dim = next((v.shape[1] for v in (faq_vectors, product_vectors) if v is not None), None)
        dim = dim or embedder.dimension
        faq_index = FlatIndex.build(faq_vectors if faq_vectors is not None else np.zeros((0, dim)))
        product_index = FlatIndex.build(
            product_vectors if product_vectors is not None else np.zeros((0, dim)))
        meta = {
            "format": FORMAT_VERSION, "encoder": embedder.model_name, "dimension": int(dim),
            "faq_row_ids": faq_ids, "product_ids": product_ids,
            "faq_entries": len(faq), "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        cls._write(root, key, faq_index, product_index, meta, replace)
        prune(root, keep=key)
        return cls(faq, faq_ids, faq_index, products, product_index, embedder, path,
                   built=True, seconds=time.perf_counter() - started)

    @staticmethod
    def _write(root: Path, key: Text, faq_index: FlatIndex, product_index: FlatIndex,
               meta: Dict[Text, Any], replace: bool) -> None:
        """Write to a temporary directory, then rename it into place (atomic on POSIX).

        ``replace``: an existing directory for this key is swapped out (forced rebuild,
        damaged cache); otherwise an existing one is a concurrent build that finished
        first, and it is kept.
        """
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{key[:12]}-", dir=root))
        try:
            faq_index.save(tmp / FAQ_FILE)
            product_index.save(tmp / PRODUCTS_FILE)
            (tmp / META_FILE).write_text(json.dumps(meta, indent=1))
            final = root / key
            if replace and final.exists():
                # Move the old one aside first so the rename below can succeed.
                old = root / f".tmp-old-{key[:12]}-{os.getpid()}"
                try:
                    os.rename(final, old)
                    shutil.rmtree(old, ignore_errors=True)
                except OSError:
                    pass
            try:
                os.rename(tmp, final)
            except OSError:
                # Another process finished the same build first: its files are identical.
                shutil.rmtree(tmp, ignore_errors=True)
        except Exception:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    @classmethod
    def _load(cls, path: Path, faq: List[Any], faq_ids: List[Text], products: List[Any],
              embedder: Embedder) -> Optional["KnowledgeIndex"]:
        meta_path = path / META_FILE
        if not meta_path.is_file():
            return None
        try:
            meta = json.loads(meta_path.read_text())
            faq_index = FlatIndex.load(path / FAQ_FILE)
            product_index = FlatIndex.load(path / PRODUCTS_FILE)
        except Exception as error:  # a damaged cache is rebuilt, never fatal
            logger.warning("Ignoring unreadable index cache %s: %s", path, error)
            return None
        if (meta.get("faq_row_ids") != faq_ids
                or meta.get("product_ids") != [p.id for p in products]
                or faq_index.ntotal != len(faq_ids) or product_index.ntotal != len(products)):
            logger.warning("Ignoring inconsistent index cache %s", path)
            return None
        return cls(faq, faq_ids, faq_index, products, product_index, embedder, path, built=False)

    @staticmethod
    def _prototypes(faq_index: FlatIndex, row_ids: Sequence[Text]) -> Tuple[List[Text], FlatIndex]:
        """One normalized mean vector per entry, from the rows stored in the index."""
        entry_ids = list(dict.fromkeys(row_ids))
        if not entry_ids:
            return [], FlatIndex.build(np.zeros((0, faq_index.dimension), dtype=np.float32))
        vectors = faq_index.cpu_index.reconstruct_n(0, faq_index.ntotal)
        position = {entry_id: i for i, entry_id in enumerate(entry_ids)}
        sums = np.zeros((len(entry_ids), vectors.shape[1]), dtype=np.float64)
        np.add.at(sums, [position[entry_id] for entry_id in row_ids], vectors)
        return entry_ids, FlatIndex.build(sums.astype(np.float32))

    # --- search -------------------------------------------------------------

    def search_faq(self, text: Text, k: int = 3) -> List[FaqHit]:
        """The ``k`` best FAQ entries for ``text``, scored per ``faq_scoring`` (see module doc).

        Empty or whitespace-only text matches nothing (an empty list, not an error).
        """
        text = clean_text(text)
        if k <= 0 or not text or self.faq_index.ntotal == 0:
            return []
        query = self.embedder.encode_query(text)
        if self.faq_scoring == "prototype":
            scores, rows = self.faq_prototypes.search(query, k)
            return [FaqHit(self._faq_by_id[self._prototype_ids[row]], float(score))
                    for score, row in zip(scores[0], rows[0]) if row >= 0]
        scores, rows = self.faq_index.search(query, min(self.faq_index.ntotal, MAX_FAQ_ROWS_SEARCHED))
        best: Dict[Text, float] = {}
        for score, row in zip(scores[0], rows[0]):
            if row < 0:
                continue
            entry_id = self.faq_row_ids[row]
            if entry_id not in best:  # rows come best first
                best[entry_id] = float(score)
        ranked = sorted(best.items(), key=lambda item: -item[1])[:k]
        return [FaqHit(self._faq_by_id[entry_id], score) for entry_id, score in ranked]

    def search_products(self, text: Text, k: int = 5) -> List[ProductHit]:
        """The ``k`` products whose documents are closest to ``text``."""
        text = clean_text(text)
        if k <= 0 or not text or self.product_index.ntotal == 0:
            return []
        scores, rows = self.product_index.search(self.embedder.encode_query(text), k)
        return [ProductHit(self.products[row], float(score))
                for score, row in zip(scores[0], rows[0]) if row >= 0]
