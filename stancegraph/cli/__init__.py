"""The ``stancegraph`` command: ``main`` dispatches, one module per family of subcommands."""
