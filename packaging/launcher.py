"""Entry script for the frozen build: the same ``textdesk`` entry point as the console script."""

import sys

from ui.app import main

if __name__ == "__main__":
    sys.exit(main())
