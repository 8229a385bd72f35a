"""CLI commands for train (see the module docstring of crossin.train)."""
