"""``python -m bot.campaigns``: create, write, list, report and export campaigns.

    python -m bot.campaigns create --file campaign.json [--activate]   (or --demo [apple-chargers|spring-runners])
    python -m bot.campaigns write apple-chargers [--generate | --no-generate]
    python -m bot.campaigns list
    python -m bot.campaigns report apple-chargers [--json]
    python -m bot.campaigns export apple-chargers --format csv [--out file] [--sent]
    python -m bot.campaigns status apple-chargers active|stopped

``write`` runs on the action server's side (it builds profiles and may load the
generator: ``--generate`` switches it on for this run, else ``SHOPBOT_GENERATION``);
everything else only reads and writes the campaign tables.
"""

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Optional, Sequence

from sqlalchemy import select

from bot.campaigns.export import export_rows, to_csv, to_json
from bot.campaigns.model import Campaign, CampaignError
from bot.campaigns.reporting import report, text_table
from bot.campaigns.segments import select_members
from bot.campaigns.store import CampaignStore, utcnow
from bot.campaigns.tables import CUSTOMERS
from bot.campaigns.writer import WriteResult, rephraser, write_campaign
from bot.privacy.marketing import marketing_of


def customers(db: Any) -> Dict[int, str]:
    with db.session() as session:
        return {int(r.id): r.name or "" for r in session.execute(
            select(CUSTOMERS.c.id, CUSTOMERS.c.name).order_by(CUSTOMERS.c.id)).all()}


def write(store: CampaignStore, campaign: Campaign, profiles: Any, catalog: Any, graph: Any, rephrase: Any,
          now: Optional[datetime] = None, progress: bool = False, limit: Optional[int] = None) -> WriteResult:
    """Select the segment from every customer's profile and write their messages."""
    now = now or utcnow()
    names = customers(store.db)
    ids = list(names)[:limit] if limit else list(names)
    profiles_seen: Dict[int, Any] = {}

    def profile_of(customer_id: int) -> Any:
        profiles_seen[customer_id] = profiles.get(customer_id=customer_id, now=now)
        return profiles_seen[customer_id]

    members = select_members(campaign, ids, profile_of, catalog, graph, now)
    lines = {m.customer_id: list(profiles.summary(profiles_seen[m.customer_id]).get("lines") or [])[:3]
             for m in members}
    result = write_campaign(store, campaign, members, names, catalog, graph, rephrase, lines, now=now,
                            progress=progress)
    from dataclasses import replace

    allowed = marketing_of(store.db, [m.customer_id for m in members])
    return replace(result, no_marketing=sum(1 for ok in allowed.values() if not ok))


def settle_generations(budget_s: float) -> None:
    """Wait for generations that outlived their message's budget (each stops at its deadline):
    a process that exits while a model runs in a daemon thread aborts."""
    import threading

    for thread in threading.enumerate():
        if thread.name == "rephraser" and thread.is_alive():
            thread.join(timeout=budget_s + 5)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.campaigns", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="create or update a campaign from JSON")
    create.add_argument("--file", help="the campaign's JSON description")
    create.add_argument("--demo", nargs="?", const="apple-chargers", choices=("apple-chargers", "spring-runners"),
                        help="a demo campaign (default apple-chargers)")
    create.add_argument("--activate", action="store_true", help="start delivering it")
    w = sub.add_parser("write", help="select the segment and write each member's message")
    w.add_argument("campaign")
    w.add_argument("--generate", dest="generate", action="store_true", default=None)
    w.add_argument("--no-generate", dest="generate", action="store_false")
    w.add_argument("--limit", type=int, help="only the first N customers (a trial run)")
    sub.add_parser("list", help="the campaigns")
    r = sub.add_parser("report", help="per-variant rates with intervals and P(beats control)")
    r.add_argument("campaign")
    r.add_argument("--json", action="store_true")
    e = sub.add_parser("export", help="the e-mail file: one row per recipient")
    e.add_argument("campaign")
    e.add_argument("--format", choices=("csv", "json"), default="csv")
    e.add_argument("--out", help="file to write (default: stdout)")
    e.add_argument("--sent", action="store_true", help="record an e-mail impression per row")
    s = sub.add_parser("status", help="activate or stop a campaign")
    s.add_argument("campaign")
    s.add_argument("status", choices=("draft", "active", "stopped"))
    return parser


def main(argv: Optional[Sequence[str]] = None, services: Any = None) -> int:
    args = _parser().parse_args(argv)
    if services is None:
        from bot.services import shared_services

        services = shared_services()
    store = CampaignStore(services.db)
    out = sys.stdout
    try:
        if args.command == "create":
            if args.demo:
                from bot.campaigns.demo import DEMOS

                spec = DEMOS[args.demo]
            elif args.file:
                spec = json.loads(Path(args.file).read_text())
            else:
                raise CampaignError("create needs --file or --demo")
            campaign = store.save(Campaign.from_dict(spec))
            if args.activate:
                store.set_status(campaign.id, "active")
            print(f"{campaign.id}: saved ({'active' if args.activate else campaign.status})", file=out)
        elif args.command == "write":
            campaign = store.require(args.campaign)
            rephrase = rephraser(services.catalog, people=list(customers(services.db).values()),
                                 enabled=args.generate, warm=True)
            try:
                result = write(store, campaign, services.profiles, services.catalog, services.graph, rephrase,
                               progress=True, limit=args.limit)
            finally:
                settle_generations(rephrase.budget_s)
            print(f"{campaign.id}: {result.members} in the segment ({result.no_marketing} of them without "
                  f"marketing consent: no card or e-mail until they opt in), {result.holdout} held out, "
                  f"{result.written} messages ({', '.join(f'{k} {v}' for k, v in sorted(result.paths.items()))})",
                  file=out)
        elif args.command == "list":
            for campaign in store.list():
                audience = store.audience(campaign.id)
                reachable = sum(1 for ok in marketing_of(store.db, audience).values() if ok)
                print(f"{campaign.id:<24}{campaign.mode:<8}{campaign.status:<9}{len(audience):>6} "
                      f"customers ({reachable} accept offers)  {campaign.name}", file=out)
        elif args.command == "report":
            rep = report(store, store.require(args.campaign))
            print(json.dumps(rep.to_dict(), indent=2) if args.json else text_table(rep), file=out)
        elif args.command == "export":
            rows = export_rows(store, store.require(args.campaign), sent=args.sent)
            text = to_csv(rows) if args.format == "csv" else to_json(rows)
            if args.out:
                Path(args.out).write_text(text)
                print(f"{len(rows)} rows -> {args.out}", file=out)
            else:
                out.write(text)
        elif args.command == "status":
            store.set_status(args.campaign, args.status)
            print(f"{args.campaign}: {args.status}", file=out)
    except CampaignError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


