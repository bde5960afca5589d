"""``python -m stancegraph`` is the ``stancegraph`` command."""

import sys

from .cli.main import main

sys.exit(main())
