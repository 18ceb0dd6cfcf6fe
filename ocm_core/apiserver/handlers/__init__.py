"""aiohttp handlers of the API server (one module per verb group); used only by ``app``."""

__all__: list[str] = []
