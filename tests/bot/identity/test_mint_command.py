"""``python -m bot.identity mint --email EMAIL [--ttl SECONDS]`` as a shop's developer runs it:
a subprocess against a seeded SQLite shop database chosen by ``SHOPBOT_DATABASE_URL``."""

import os
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from bot.catalog import load_catalog
from bot.identity.tokens import DEFAULT_TTL_SECONDS, verify
from bot.shop.db import ShopDatabase
from bot.shop.schema import Customer
from tests.conftest import ROOT

SECRET = "mint-command-test-secret-" + "z" * 20


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """A seeded demo shop database, and the settings a command needs to use it."""
    work = tmp_path_factory.mktemp("mint")
    url = f"sqlite:///{work / 'shop.db'}"
    db = ShopDatabase(url)
    assert db.seed_demo(load_catalog(), now=datetime(2025, 5, 14, 15, 0, tzinfo=timezone.utc))
    with db.session() as session:
        ids = dict(session.execute(select(Customer.email, Customer.id)).all())
    db.dispose()
    env = {**os.environ, "SHOPBOT_DATABASE_URL": url, "SHOPBOT_VAR_DIR": str(work),
           "SHOPBOT_IDENTITY_SECRET": SECRET, "PYTHONPATH": str(ROOT)}
    return {"env": env, "ids": ids, "work": work}


def run_mint(shop, *args, env=None):
    return subprocess.run([sys.executable, "-m", "bot.identity", "mint", *args], cwd=ROOT,
                          env=env or shop["env"], capture_output=True, text=True, timeout=120)


def test_mint_prints_only_a_token_for_the_customer(shop):
    before = time.time()
    done = run_mint(shop, "--email", "jane.doe@example.com")
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert done.stdout == token + "\n" and token.count(".") == 2  # only the token: `$(...)` works
    identity = verify(token, secret=SECRET)
    assert identity.customer_id == shop["ids"]["jane.doe@example.com"]
    lifetime = identity.expires_at.timestamp() - before
    assert DEFAULT_TTL_SECONDS - 5 <= lifetime <= DEFAULT_TTL_SECONDS + 5


def test_ttl_and_the_address_in_any_case(shop):
    before = time.time()
    done = run_mint(shop, "--email", "  Sam.Lee@Example.COM ", "--ttl", "90")
    assert done.returncode == 0, done.stderr
    identity = verify(done.stdout.strip(), secret=SECRET)
    assert identity.customer_id == shop["ids"]["sam.lee@example.com"]
    assert 85 <= identity.expires_at.timestamp() - before <= 95
    assert verify(done.stdout.strip(), now=before + 90 + 60, secret=SECRET) is None


def test_an_unknown_address_is_a_clear_error(shop):
    done = run_mint(shop, "--email", "nobody@example.com")
    assert done.returncode == 1 and done.stdout == ""
    assert "no customer with the e-mail 'nobody@example.com'" in done.stderr
    assert "Traceback" not in done.stderr
    done = run_mint(shop, "--email", "not an address")
    assert done.returncode == 1 and done.stdout == "" and "no customer" in done.stderr


def test_bad_arguments_are_refused(shop):
    for args in (("--email", "jane.doe@example.com", "--ttl", "0"),
                 ("--email", "jane.doe@example.com", "--ttl", "soon"),
                 ()):
        done = run_mint(shop, *args)
        assert done.returncode == 2 and done.stdout == "" and "usage:" in done.stderr


def test_without_a_secret_in_the_environment_it_signs_with_the_installation_file(shop):
    env = {k: v for k, v in shop["env"].items() if k not in ("SHOPBOT_IDENTITY_SECRET", "SHOPBOT_SECRETS_DIR")}
    done = run_mint(shop, "--email", "jane.doe@example.com", env=env)
    assert done.returncode == 0, done.stderr
    stored = (shop["work"] / "secrets" / "identity").read_text().strip()  # var/secrets, made on first use
    assert verify(done.stdout.strip(), secret=stored).customer_id == shop["ids"]["jane.doe@example.com"]
    assert verify(done.stdout.strip(), secret=SECRET) is None
