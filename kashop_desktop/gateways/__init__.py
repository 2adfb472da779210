"""Payment gateway adapters (plugins) and the local fake servers that prove them.

Section numbers (§) in these modules and their tests refer to the team's gateway protocol
notes, a digest of the vendors' documents and SDKs and of the 彩虹易支付 server source.
"""
