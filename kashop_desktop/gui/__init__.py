"""The desk window (Qt). Holds no business rule: every action calls a service."""
