"""Command line of the profile package (action server environment).

    python -m bot.profiles import-events FILE [--format csv|jsonl] [--strict] [--dry-run] [--url URL]
    python -m bot.profiles seed-behaviour [--seed 7] [--customers 500] [--url URL]
    python -m bot.profiles train-sentiment
    python -m bot.profiles refresh [--url URL]
    python -m bot.profiles show|export|delete --email EMAIL [--url URL]

``import-events`` takes a shop's own behaviour log (see ``bot.profiles.event_import``);
``seed-behaviour`` adds the demo behaviour to a demo shop database
(``python -m bot.shop.seed`` does that already unless ``--no-behaviour``);
``train-sentiment`` fine-tunes the review sentiment model into its cache ahead of time
(``bot.profiles.sentiment``); ``refresh`` brings every stored profile up to date;
``show`` / ``export`` / ``delete`` are the privacy requests for staff, as JSON.
"""

import argparse
import sys
from pathlib import Path
from typing import List, Optional


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _import_events(args) -> int:
    from bot.catalog import load_catalog
    from bot.profiles.event_import import EventFileError, import_events
    from bot.shop.db import ShopDatabase

    db = ShopDatabase(args.url)
    try:
        result = import_events(db, load_catalog(), args.file, fmt=args.format, strict=args.strict,
                               dry_run=args.dry_run)
    except EventFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for problem in result.problems:
        print(problem)
    bad = len({p.line for p in result.errors})
    if args.dry_run:
        verb = "would import"
    elif args.strict and bad:
        verb = "strict: imported nothing, would import"
    else:
        verb = "imported"
    print(f"{verb} {_count(len(result.events), 'event', 'events')} of {_count(result.rows, 'row', 'rows')} "
          f"({bad} rejected, {len(result.skipped)} already there)")
    if args.strict and bad:
        return 1
    if not result.events and bad:
        print("nothing imported: the file had no valid row; fix the rows above and run again", file=sys.stderr)
        return 1
    return 0


def _seed_behaviour(args) -> int:
    from bot.catalog import load_catalog
    from bot.profiles.demo_behaviour import seed_behaviour
    from bot.profiles.events import count_events
    from bot.shop.db import ShopDatabase
    from bot.shop.seed import is_demo_shop

    db = ShopDatabase(args.url)
    if not is_demo_shop(db):
        print(f"{db!r} is not the demo shop (seed it with python -m bot.shop.seed); nothing written",
              file=sys.stderr)
        return 1
    if seed_behaviour(db, load_catalog(), seed=args.seed, customers=args.customers):
        print(f"seeded {count_events(db)} behaviour events into {db!r}")
    else:
        print(f"{db!r} already has behaviour events; nothing written")
    return 0


def _train_sentiment(args) -> int:
    from bot.profiles.sentiment import SentimentModel

    path = SentimentModel.cache_path()
    cached = (path / "classifier.json").is_file()
    model = SentimentModel.load_or_train()
    print(f"{'cached' if cached else 'trained'}: {path}")
    print(f"check: {model.scores(['I love it, works great', 'It broke, I am really angry'])}")
    return 0


def _service(args, train: bool = False):
    from bot.profiles.sentiment import shared_sentiment
    from bot.profiles.service import ProfileService
    from bot.shop.db import ShopDatabase

    # a script may wait for the sentiment model to be trained; the action server never does
    return ProfileService(ShopDatabase(args.url), sentiment=shared_sentiment if train else None)


def _refresh(args) -> int:
    applied = _service(args, train=True).refresh_all(progress=True)
    print(f"applied {applied} new events to the stored profiles")
    return 0


def _privacy(args) -> int:
    import json

    from sqlalchemy import select

    from bot.shop.schema import Customer

    service = _service(args)
    with service.db.session() as session:
        customer_id = session.execute(select(Customer.id).where(Customer.email == args.email.lower())).scalar()
    if customer_id is None:
        print(f"no customer with the email {args.email}", file=sys.stderr)
        return 1
    if args.command == "show":
        result = service.summary(service.stored(customer_id))
    elif args.command == "export":
        result = service.export(customer_id)
    else:
        result = {"deleted": service.delete(customer_id), "kept": "orders and the personalization choice"}
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.profiles", description="Shopper behaviour and profiles.")
    commands = parser.add_subparsers(dest="command", required=True)

    importer = commands.add_parser("import-events", help="import a shop's own behaviour log (CSV or JSON lines)")
    importer.add_argument("file", type=Path)
    importer.add_argument("--format", choices=("csv", "jsonl"), help="default: from the file name (.jsonl/.json)")
    importer.add_argument("--strict", action="store_true", help="import nothing (exit 1) if any row is bad")
    importer.add_argument("--dry-run", action="store_true", help="validate and report only; write nothing")
    importer.add_argument("--url", help="database URL (default: SHOPBOT_DATABASE_URL or var/shop.db)")
    importer.set_defaults(run=_import_events)

    seeder = commands.add_parser("seed-behaviour", help="add the demo behaviour to the demo shop database")
    seeder.add_argument("--seed", type=int, default=7)
    seeder.add_argument("--customers", type=int, default=500)
    seeder.add_argument("--url", help="database URL (default: SHOPBOT_DATABASE_URL or var/shop.db)")
    seeder.set_defaults(run=_seed_behaviour)

    trainer = commands.add_parser("train-sentiment", help="fine-tune the review sentiment model into its cache")
    trainer.set_defaults(run=_train_sentiment)

    refresher = commands.add_parser("refresh", help="apply new behaviour events to every stored profile")
    refresher.add_argument("--url", help="database URL (default: SHOPBOT_DATABASE_URL or var/shop.db)")
    refresher.set_defaults(run=_refresh)

    for name, text in (("show", "what is held about a customer, readable"),
                       ("export", "everything held about a customer, as JSON"),
                       ("delete", "delete a customer's profile, behaviour, reviews and preferences")):
        privacy = commands.add_parser(name, help=text)
        privacy.add_argument("--email", required=True)
        privacy.add_argument("--url", help="database URL (default: SHOPBOT_DATABASE_URL or var/shop.db)")
        privacy.set_defaults(run=_privacy)

    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
