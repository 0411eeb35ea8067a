"""`python -m desk.cli`."""

import sys

from desk.cli.main import main

sys.exit(main())
