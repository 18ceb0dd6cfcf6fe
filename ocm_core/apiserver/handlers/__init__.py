"""aiohttp handlers of the API server (one module per verb group)."""
