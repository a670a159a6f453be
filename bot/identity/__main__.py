"""``python -m bot.identity mint --email EMAIL [--ttl SECONDS]``: a signed identity token.

For demos and tests: prints (on stdout, and nothing else there) a token that says "this
is the customer with this e-mail in the shop database", signed with the installation's
identity secret, for the REST channel's ``metadata.identity`` or the widget's
``customData.identity``. A shop's own site mints the same tokens server-side with any
JWT library (see ``bot.identity.tokens``). An address that is no customer's is an error
(exit code 1) with a message on stderr.

    .venv-actions/bin/python -m bot.identity mint --email jane.doe@example.com --ttl 600

The shop database is ``SHOPBOT_DATABASE_URL`` (default ``var/shop.db``) unless
``--database-url`` names another; the secret is ``SHOPBOT_IDENTITY_SECRET`` or
``var/secrets/identity``, as for the servers.
"""

import argparse
import sys
from typing import List, Optional

from bot.identity.tokens import DEFAULT_TTL_SECONDS, mint


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {value!r}")
    return number


def mint_for_email(email: str, ttl_seconds: int, database_url: Optional[str] = None) -> int:
    from bot.shop.customers import find_customer
    from bot.shop.db import ShopDatabase

    db = ShopDatabase(database_url)
    try:
        customer = find_customer(db, email)
    finally:
        db.dispose()
    if customer is None:
        print(f"error: no customer with the e-mail {email!r} in the shop database {db!r} "
              "(the demo customers are made by: python -m bot.shop.seed)", file=sys.stderr)
        return 1
    print(mint(customer.id, ttl_seconds=ttl_seconds))
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.identity", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    minting = commands.add_parser("mint", help="print a signed identity token for a customer of the shop")
    minting.add_argument("--email", required=True, help="the customer's e-mail address in the shop database")
    minting.add_argument("--ttl", type=_positive, default=DEFAULT_TTL_SECONDS, metavar="SECONDS",
                         help="how long the token is valid (default: %(default)s)")
    minting.add_argument("--database-url", help="shop database (default: SHOPBOT_DATABASE_URL or var/shop.db)")
    args = parser.parse_args(argv)
    return mint_for_email(args.email, args.ttl, args.database_url)


if __name__ == "__main__":
    sys.exit(main())
