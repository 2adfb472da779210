"""``python -m kashop_desktop.cli`` runs the command line."""

from .main import main

raise SystemExit(main())
