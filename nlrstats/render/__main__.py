"""``python -m nlrstats.render``: the ``nlrstats render`` subcommand on its own."""

import sys

from nlrstats.render.cli import main

sys.exit(main())
