"""``python -m bot.generation convert``: convert the generator's model into its cache now
(what the first load would do), with progress.

``python -m bot.generation try "TEMPLATE" [--question TEXT]``: word one reply through the
rephraser with generation on, and print the path, the reasons and the timings.
"""

import argparse
import os
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.generation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("convert", help="convert the configured model into the cache (once)")
    trial = commands.add_parser("try", help="word one reply and show how it was served")
    trial.add_argument("template", help="the template reply, e.g. 'Samsung Galaxy S24 — $799.00, in stock'")
    trial.add_argument("--question", default="", help="what the shopper wrote")
    trial.add_argument("--profile", action="append", default=[], help="a profile summary line (repeatable)")
    trial.add_argument("--budget", type=float, default=None, help="seconds (default SHOPBOT_GENERATION_BUDGET_S)")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    if args.command == "convert":
        from bot.generation.runtime import GenerationSettings
        from bot.generation.transformers_runtime import model_directory

        print(model_directory(GenerationSettings.from_env(), progress=True))
        return 0

    from bot.catalog import load_catalog
    from bot.generation.entities import NameIndex
    from bot.generation.runtime import load_generator
    from bot.generation.service import Rephraser

    catalog = load_catalog()
    rephraser = Rephraser(load_generator(progress=True), names=NameIndex.from_catalog(catalog), enabled=True,
                          budget_s=args.budget, shop_name=catalog.shop.get("name", "our shop"))
    served = rephraser.reply(args.template, profile_summary=args.profile, shopper_text=args.question)
    print(served.text)
    print(f"-- {served.detail} in {served.seconds:.2f} s", file=sys.stderr)
    if served.generation is not None:
        g = served.generation
        print(f"-- model said {g.text!r}: {g.prompt_tokens} prompt tokens, {g.tokens} new, "
              f"first token {g.first_token_s or 0:.2f} s, {g.finish_reason}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
