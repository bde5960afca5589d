"""``python -m stancegraph`` is the ``stancegraph`` command."""

import sys

from .cli import main

sys.exit(main())
