"""``python -m streams ...`` is the same as the ``form4`` command."""

from streams.cli import main

main()
