"""One object that owns the connection to the shop database.

``ShopDatabase()`` reads the URL from ``bot.settings`` (SQLite in ``var/`` by default,
PostgreSQL with the same code), creates the tables it needs and hands out sessions
that commit on success and roll back on error, so callers never manage transactions.
"""

import os
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator, Optional

from sqlalchemy import MetaData, create_engine, event, func, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from bot import settings
from bot.shop.schema import Base, Customer


class SqlDatabase:
    """An engine on one URL with its tables created, and sessions that manage transactions.

    Subclasses name the ``metadata`` whose tables they own (the shop's, the staff
    console's); they can share one database URL.
    """

    metadata: MetaData = Base.metadata

    def __init__(self, url: Optional[str] = None, echo: bool = False) -> None:
        self.url = url or settings.database_url()
        parsed = make_url(self.url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(self.url, echo=echo, future=True)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_foreign_keys)
        self.metadata.create_all(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits when the block ends, rolls back if it raises."""
        session = Session(self.engine, expire_on_commit=False)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({make_url(self.url).render_as_string(hide_password=True)!r})"


class ShopDatabase(SqlDatabase):
    """The shop's customers, orders, returns and tickets."""

    metadata = Base.metadata

    def is_empty(self) -> bool:
        with self.session() as session:
            return not session.execute(select(func.count(Customer.id))).scalar_one()

    def reset(self) -> None:
        """Drop and recreate every shop table (demo and tests only).

        Tables other packages keep beside the shop's and that point at them (the action
        server's behaviour events and profiles) go too, whether or not this process
        imported their module: left behind, their foreign keys would block the drop.
        """
        reflected = MetaData()
        reflected.reflect(self.engine)
        doomed = {name for name in reflected.tables if name in Base.metadata.tables}
        grew = True
        while grew:
            dependents = {name for name, table in reflected.tables.items() if name not in doomed
                          and any(key.column.table.name in doomed for key in table.foreign_keys)}
            doomed |= dependents
            grew = bool(dependents)
        reflected.drop_all(self.engine, tables=[reflected.tables[name] for name in doomed])
        Base.metadata.create_all(self.engine)

    def seed_demo(self, catalog, now: Optional[datetime] = None, seed: int = 7, reset: bool = False,
                  behaviour: bool = False) -> bool:
        """Fill an empty database with the demo shop; see ``bot.shop.seed``. True if it wrote.

        ``behaviour=True`` adds the demo shopping behaviour of 500 customers (action server only).
        """
        from bot.shop.seed import seed_demo

        return seed_demo(self, catalog, now=now, seed=seed, reset=reset, behaviour=behaviour)

def _sqlite_foreign_keys(dbapi_connection, _record) -> None:
    """SQLite ignores foreign keys unless each connection asks for them.

    File databases also run in WAL mode with ``synchronous=NORMAL`` (``SHOPBOT_SQLITE_TUNING=0``:
    SQLite's defaults): a commit no longer waits for two syncs of the disk, which held up the
    action server's loop on every order lookup, and readers (the Rasa server's privacy and
    demo routes, the console) never wait for a writer. Durable against a crash of the process;
    against power loss, all but the last commits are.
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    if os.environ.get("SHOPBOT_SQLITE_TUNING", "1") != "0":
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
