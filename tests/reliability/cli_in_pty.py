"""The command line with --db DB then the given arguments (for PtyApp's `script`): `cli_in_pty.py DB ARGS...`."""

import sys

from assistant.cli import main

if __name__ == "__main__":
    main(["--db", sys.argv[1], *sys.argv[2:]], prog_name="learning-together")
