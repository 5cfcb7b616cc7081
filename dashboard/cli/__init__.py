"""Every command of ``gridwatch``: serve, demo, seed, users, devices, audit, the terminal
simulator and the benchmarks.
"""

from dashboard.cli.main import main

__all__ = ["main"]
