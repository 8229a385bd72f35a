"""CLI commands for experiment (see the module docstring of crossin.experiment)."""
