"""Where the assistant finds its data: one place, environment variables with working defaults.

Every path defaults to a location inside the project, so a fresh clone runs as is;
a shop overrides them with ``SHOPBOT_*`` variables (no path of any machine in code).

- ``SHOPBOT_VAR_DIR``        runtime data (databases, caches); default ``<project>/var``.
- ``SHOPBOT_KNOWLEDGE_DIR``  the shop's catalog and FAQ. Default: ``var/knowledge`` once the
                             import command has written a shop's own files there, else the
                             demo shop bundled in ``<project>/knowledge``.
- ``SHOPBOT_DATABASE_URL``   the shop database (SQLAlchemy URL); default SQLite in var/.
                             ``postgresql://user@127.0.0.1:5432/shop`` works with the same code.
- ``SHOPBOT_INDEX_DIR``      the retrieval index cache; default ``var/index``.
"""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_KNOWLEDGE_DIR = PROJECT_ROOT / "knowledge"
CATALOG_FILE = "catalog.json"
FAQ_FILE = "faq.yml"


def var_dir() -> Path:
    """Runtime data: git-ignored, created on demand."""
    return Path(os.environ.get("SHOPBOT_VAR_DIR") or PROJECT_ROOT / "var")


def imported_knowledge_dir() -> Path:
    """Where the import command writes a shop's own, validated catalog and FAQ."""
    return var_dir() / "knowledge"


def knowledge_dir() -> Path:
    """The catalog and FAQ in use: explicit setting, else imported files, else the demo shop."""
    explicit = os.environ.get("SHOPBOT_KNOWLEDGE_DIR")
    if explicit:
        return Path(explicit)
    imported = imported_knowledge_dir()
    if (imported / CATALOG_FILE).exists():
        return imported
    return BUNDLED_KNOWLEDGE_DIR


def catalog_path() -> Path:
    return knowledge_dir() / CATALOG_FILE


def faq_path() -> Path:
    return knowledge_dir() / FAQ_FILE


def database_url() -> str:
    url = os.environ.get("SHOPBOT_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{var_dir() / 'shop.db'}"


def index_dir() -> Path:
    return Path(os.environ.get("SHOPBOT_INDEX_DIR") or var_dir() / "index")
