"""The shop's rules as plain Python: money, order states, cancel policy, refund arithmetic."""
