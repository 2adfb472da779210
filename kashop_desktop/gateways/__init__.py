"""Payment gateway adapters (plugins) and the local fake servers that prove them."""
