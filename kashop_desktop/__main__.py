"""``python -m kashop_desktop`` runs the command line."""

from .cli import main

raise SystemExit(main())
