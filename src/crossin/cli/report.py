"""CLI commands for report (see the module docstring of crossin.report)."""
