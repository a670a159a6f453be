"""Command line for the web side: staff accounts and exports.

    python -m bot.web.cli create-admin --email boss@shop.example        # asks for the password twice
    python -m bot.web.cli create-user --email ann@shop.example --role agent --password-stdin < pw.txt
    python -m bot.web.cli export-conversations --out conversations.jsonl [--since 2024-05-01]
    python -m bot.web.cli export-corrections --out corrections.yml
    python -m bot.web.cli unlock-login [--email ann@shop.example] [--address 203.0.113.7]

There is no default account or password: the first admin is created here. Exported
conversations are redacted (``bot.privacy.redaction``): card and phone numbers and
e-mail addresses in what was said and in slots become placeholders, and the customer's
address is masked, whatever the tracker store still holds from before redaction at rest.
"""

import argparse
import getpass
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

from bot.privacy.redaction import mask_email, redact_value
from bot.web.conversations import Conversation, ConversationReader

# Summary fields that are structure, not anything a person said (kept as they are).
_STRUCTURE = {"sender_id", "started", "last_activity", "channel", "turns", "min_confidence", "negative",
              "fallback", "handoff", "intents", "paused", "escalation"}


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise SystemExit("the passwords differ")
    return first


def _create(args: argparse.Namespace, role: str) -> int:
    from bot.web.staff.models import StaffDatabase
    from bot.web.staff.users import UserError, create_user

    try:
        user = create_user(StaffDatabase(args.database_url), args.email, _password(args), role=role,
                           name=args.name)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"created {user.role} {user.email}")
    return 0


def _since(value: Optional[str]) -> Optional[float]:
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def redacted(conversation: Conversation) -> Dict[str, Any]:
    """A conversation as exported: everything people said or were asked for, redacted."""
    data = conversation.as_dict()
    out = {key: value if key in _STRUCTURE else redact_value(value) for key, value in data.items()}
    if data.get("customer_email"):
        out["customer_email"] = mask_email(data["customer_email"])
    return out


def export_conversations(out: Path, since: Optional[str] = None, tracker_db: Optional[str] = None) -> int:
    """Write one JSON object per conversation (summary and messages); returns how many."""
    reader = ConversationReader(path=Path(tracker_db) if tracker_db else None)
    count = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for conversation in reader.conversations(since=_since(since)):
            handle.write(json.dumps(redacted(conversation), ensure_ascii=False, default=str) + "\n")
            count += 1
    return count


def export_corrections(out: Path, database_url: Optional[str] = None) -> int:
    from bot.web.staff.models import StaffDatabase
    from bot.web.staff.review import corrections, corrections_yaml

    items = corrections(StaffDatabase(database_url))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(corrections_yaml(items), encoding="utf-8")
    return len(items)


def unlock_login(email: Optional[str], address: Optional[str], database_url: Optional[str] = None) -> int:
    """Lift a sign-in lock (and its failure count) of an account and/or a client address."""
    from bot.web.staff.models import StaffDatabase
    from bot.web.staff.throttle import unlock

    return unlock(StaffDatabase(database_url), email=email, address=address)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.web.cli", description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="shop database (default: SHOPBOT_DATABASE_URL or var/shop.db)")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, role_choice in (("create-admin", False), ("create-user", True)):
        command = commands.add_parser(name, help=f"{name.replace('-', ' ')} for the staff console")
        command.add_argument("--email", required=True)
        command.add_argument("--name")
        command.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
        if role_choice:
            command.add_argument("--role", choices=["agent", "admin"], default="agent")
    export = commands.add_parser("export-conversations", help="conversations as JSON lines")
    export.add_argument("--out", required=True, type=Path)
    export.add_argument("--since", help="ISO date or time (UTC unless it says otherwise)")
    export.add_argument("--tracker-db", help="SQLite file of the tracker store (default: as the server)")
    fixes = commands.add_parser("export-corrections", help="intent corrections as Rasa NLU YAML")
    fixes.add_argument("--out", required=True, type=Path)
    unlock = commands.add_parser("unlock-login", help="lift a sign-in lock early")
    unlock.add_argument("--email", help="the account's e-mail")
    unlock.add_argument("--address", help="the client address")
    args = parser.parse_args(argv)

    if args.command == "create-admin":
        return _create(args, "admin")
    if args.command == "create-user":
        return _create(args, args.role)
    if args.command == "export-conversations":
        print(f"wrote {export_conversations(args.out, args.since, args.tracker_db)} conversations to {args.out}")
        return 0
    if args.command == "unlock-login":
        if not args.email and not args.address:
            parser.error("unlock-login needs --email and/or --address")
        print(f"cleared {unlock_login(args.email, args.address, args.database_url)} sign-in counters")
        return 0
    print(f"wrote {export_corrections(args.out, args.database_url)} corrections to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
