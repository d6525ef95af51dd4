"""`python -m bot.cli`: the same as the `stackpick` command."""

from bot.cli import main

main()
