"""The server's secrets: from the environment, else generated once into ``var/secrets/``.

Every process of one installation (Rasa server, action server, scripts, tests) must agree
on them, so a secret that is not given as an environment variable is created on first use
as a file readable by its owner only (mode 600) and read from there by everyone after.

| name              | environment variable          | what it protects                                   |
|-------------------|-------------------------------|----------------------------------------------------|
| ``rasa_api``      | ``SHOPBOT_RASA_API_TOKEN``    | Rasa's HTTP API (``--auth-token``)                 |
| ``actions``       | ``SHOPBOT_ACTIONS_SECRET``    | calls from Rasa to the action server               |
| ``session``       | ``SHOPBOT_SESSION_SECRET``    | shoppers' session tokens and pseudonymous keys     |
| ``identity``      | ``SHOPBOT_IDENTITY_SECRET``   | signed shopper identity tokens (JWT)               |
"""

import os
import secrets as _random
from pathlib import Path
from typing import Dict, Optional

ENVIRONMENT = {
    "rasa_api": "SHOPBOT_RASA_API_TOKEN",
    "actions": "SHOPBOT_ACTIONS_SECRET",
    "session": "SHOPBOT_SESSION_SECRET",
    "identity": "SHOPBOT_IDENTITY_SECRET",
}
_cache: Dict[str, str] = {}


def secrets_dir() -> Path:
    """``$SHOPBOT_SECRETS_DIR``, else ``<var>/secrets``."""
    explicit = os.environ.get("SHOPBOT_SECRETS_DIR")
    if explicit:
        return Path(explicit)
    from bot.settings import var_dir

    return var_dir() / "secrets"


def _read_or_create(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        # O_EXCL: of two processes starting at once, exactly one writes the secret
        fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # the other process may still be writing it
            value = path.read_text(encoding="utf-8").strip()
            if value:
                return value
            import time

            time.sleep(0.02)
        raise RuntimeError(f"the secret file {path} is empty: delete it to have a new one made")
    value = _random.token_urlsafe(32)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value


def get_secret(name: str) -> str:
    """The named secret: its environment variable when set, else the file, made on first use."""
    if name not in ENVIRONMENT:
        raise KeyError(f"unknown secret {name!r}; known: {', '.join(sorted(ENVIRONMENT))}")
    from_env: Optional[str] = os.environ.get(ENVIRONMENT[name])
    if from_env:
        return from_env
    path = secrets_dir() / name
    key = str(path)
    if key not in _cache:
        _cache[key] = _read_or_create(path)
    return _cache[key]


def main() -> None:
    """``python -m bot.identity.secrets NAME``: print a secret (made if missing), for scripts."""
    import sys

    if len(sys.argv) != 2 or sys.argv[1] not in ENVIRONMENT:
        sys.exit(f"usage: python -m bot.identity.secrets {{{'|'.join(ENVIRONMENT)}}}")
    print(get_secret(sys.argv[1]))


if __name__ == "__main__":
    main()
