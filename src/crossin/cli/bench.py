"""CLI commands for bench (see the module docstring of crossin.bench)."""
