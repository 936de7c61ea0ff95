"""The ``twin`` console script: imports the CLI lazily so a Ctrl-C during start-up exits quietly (130)."""

from __future__ import annotations

import sys


def main() -> int:
    try:
        from cli.main import main as run

        return run()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
