"""``python -m coursekit``: the ``coursekit`` command."""

from coursekit.cli import main

main()
