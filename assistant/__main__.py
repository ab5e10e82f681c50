"""`python -m assistant` is the same as `learning-together`."""

from assistant.cli import main

main()
