"""CLI commands for data (see the module docstring of crossin.data)."""
