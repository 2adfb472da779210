"""The operations a person performs. Each runs in one transaction, writes its events, and
returns what changed. The GUI and the CLI both call these; neither holds a business rule."""
