import sys

from bot.campaigns.cli import main

sys.exit(main())
