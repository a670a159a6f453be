"""Random public reference numbers (RMA-XXXXXX, T-XXXXXX).

They come from ``secrets`` so one number says nothing about the next: a shopper who
sees RMA-7KQ2PX cannot guess another shopper's. The alphabet leaves out 0/O and 1/I/L,
which people misread when they type a number back to support.
"""

import secrets
from typing import Callable, Optional

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def random_code(prefix: str, length: int = 6, choice: Optional[Callable] = None) -> str:
    pick = choice or secrets.choice
    return prefix + "".join(pick(ALPHABET) for _ in range(length))


def unique_code(session, model, prefix: str, choice: Optional[Callable] = None, attempts: int = 20) -> str:
    """A code not yet used as primary key of ``model`` (collisions are rare but possible)."""
    for _ in range(attempts):
        code = random_code(prefix, choice=choice)
        if session.get(model, code) is None:
            return code
    raise RuntimeError(f"could not find a free {prefix} code after {attempts} attempts")
