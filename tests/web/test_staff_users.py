"""Staff accounts: scrypt hashes, sessions, and the CLI that creates the first admin."""

import io

import pytest

from bot.web import cli
from bot.web.staff import auth
from bot.web.staff.models import StaffDatabase
from bot.web.staff.users import UserError, authenticate, create_user, hash_password, list_users, set_active, verify_password


@pytest.fixture()
def db(tmp_path):
    return StaffDatabase(f"sqlite:///{tmp_path / 'shop.db'}")


def test_hashes_are_salted_scrypt_and_verify():
    one, two = hash_password("a long password"), hash_password("a long password")
    assert one != two and one.startswith("scrypt$") and "a long password" not in one
    assert verify_password("a long password", one) and not verify_password("a long passworD", one)
    assert not verify_password("x", "garbage") and not verify_password("x", "md5$1$2$3$00$00")


def test_users_roles_and_authentication(db):
    create_user(db, " Boss@Shop.example ", "correct horse battery", role="admin")
    with pytest.raises(UserError):
        create_user(db, "boss@shop.example", "another long one")
    with pytest.raises(UserError):
        create_user(db, "x@shop.example", "short")
    with pytest.raises(UserError):
        create_user(db, "x@shop.example", "long enough pw", role="root")
    user = authenticate(db, "BOSS@shop.example", "correct horse battery")
    assert user and user.is_admin and user.email == "boss@shop.example"
    assert authenticate(db, "boss@shop.example", "wrong") is None
    assert authenticate(db, "nobody@shop.example", "correct horse battery") is None
    set_active(db, user.id, False)
    assert authenticate(db, "boss@shop.example", "correct horse battery") is None


def test_sessions_expire_and_end(db):
    user = create_user(db, "ann@shop.example", "a long password", role="agent")
    token, csrf = auth.start_session(db, user)
    assert auth.load_session(db, token) == (user, csrf)
    assert auth.load_session(db, token + "x") is None and auth.load_session(db, None) is None
    from bot.web.staff.models import StaffSession, utcnow
    from datetime import timedelta

    with db.session() as session:
        for row in session.query(StaffSession).all():
            row.expires_at = utcnow() - timedelta(seconds=1)
    assert auth.load_session(db, token) is None
    token, _ = auth.start_session(db, user)
    auth.end_session(db, token)
    assert auth.load_session(db, token) is None


def test_cli_creates_admin_from_stdin_and_agent_from_prompts(db, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    assert cli.main(["--database-url", db.url, "create-admin", "--email", "boss@shop.example",
                     "--password-stdin"]) == 0
    answers = iter(["another long one", "another long one"])
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt="": next(answers))
    assert cli.main(["--database-url", db.url, "create-user", "--email", "ann@shop.example",
                     "--role", "agent"]) == 0
    assert {(u.email, u.role) for u in list_users(db)} == {("boss@shop.example", "admin"),
                                                           ("ann@shop.example", "agent")}
    assert authenticate(db, "ann@shop.example", "another long one")
    answers = iter(["one long password", "a different one"])
    with pytest.raises(SystemExit):
        cli.main(["--database-url", db.url, "create-user", "--email", "bo@shop.example"])
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["--database-url", db.url, "create-admin", "--email", "c@shop.example",
                     "--password-stdin"]) == 1
    assert "at least" in capsys.readouterr().err
