"""The ``ocm`` command line: one module per subcommand, each exposing ``register(subparsers)``."""

__all__: list[str] = []
