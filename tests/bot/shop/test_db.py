import pytest
from sqlalchemy import func, inspect, select

from bot.shop.db import ShopDatabase
from bot.shop.schema import Customer


def test_creates_the_parent_folder_and_all_tables(tmp_path):
    path = tmp_path / "deep" / "er" / "shop.db"
    db = ShopDatabase(f"sqlite:///{path}")
    assert path.exists()
    tables = set(inspect(db.engine).get_table_names())
    assert {"customers", "orders", "order_items", "return_requests", "tickets"} <= tables
    db.dispose()


def test_default_url_comes_from_settings(tmp_path, monkeypatch):
    monkeypatch.delenv("SHOPBOT_DATABASE_URL", raising=False)
    monkeypatch.setenv("SHOPBOT_VAR_DIR", str(tmp_path / "var"))
    db = ShopDatabase()
    assert (tmp_path / "var" / "shop.db").exists()
    db.dispose()
    monkeypatch.setenv("SHOPBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    db = ShopDatabase()
    assert (tmp_path / "other.db").exists()
    db.dispose()


def test_session_commits_or_rolls_back(empty_db, now):
    with empty_db.session() as session:
        session.add(Customer(name="A", email="a@example.com", created_at=now.replace(tzinfo=None)))
    with pytest.raises(RuntimeError):
        with empty_db.session() as session:
            session.add(Customer(name="B", email="b@example.com", created_at=now.replace(tzinfo=None)))
            session.flush()
            raise RuntimeError("boom")
    with empty_db.session() as session:
        assert session.execute(select(func.count(Customer.id))).scalar_one() == 1
