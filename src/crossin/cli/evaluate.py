"""CLI commands for evaluate (see the module docstring of crossin.evaluate)."""
