"""``python -m core ...``: the command-line face of Genre Lab."""

import sys

from core.cli import main

sys.exit(main())
