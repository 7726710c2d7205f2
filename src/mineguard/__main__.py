"""``python -m mineguard`` runs the command line."""

import sys

from mineguard.cli import main

sys.exit(main())
