"""Bundle commands: build, inspect, import."""

from __future__ import annotations

import click


@click.group()
def bundle() -> None:
    """Weekly sample bundles: build from capture events, inspect, import."""


COMMANDS = [bundle]
