"""``python -m dashboard.cli``: the same as the ``gridwatch`` command."""

from dashboard.cli.main import main

main()
