"""The `crossin` command. Each command group lives in its own module; importing it registers it."""

from __future__ import annotations

from . import bench, data, demo, evaluate, experiment, export, report, score, serve, train  # noqa: F401
from .app import app


def main() -> None:
    app()
