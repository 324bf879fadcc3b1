"""``python -m zdcal.cli``: the same as the ``zdcal`` command."""

from zdcal.cli import main

main()
