"""The system Chromium that browser tests and the progress benchmark drive through Playwright."""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch_args() -> dict:
    """Playwright launch arguments for the system Chromium."""
    return {"executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}
