"""Local fake gateway servers that speak each gateway's real protocol on loopback."""
