"""`make run`'s start-up wait: poll the web's /readyz until it answers 200, then say where the
dashboard is, and the generated admin password while it is unchanged. Gives up after --timeout,
or as soon as the process that started it has gone (Ctrl-C on `make run` before the web was up)."""

import json
import os
import time
import urllib.error
import urllib.request

from django.core.management.base import BaseCommand, CommandError

from images.management.commands.ensure_admin import admin_password_note

# Straight to the local web process, whatever *_proxy variables the shell has.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _status(url: str) -> tuple[int | None, dict]:
    """The readiness answer's status and body; (None, {}) while nothing listens."""
    try:
        with _OPENER.open(url, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")
    except (OSError, ValueError):
        return None, {}


class Command(BaseCommand):
    help = "Wait until the dashboard at BASE_URL answers /readyz with 200."

    def add_arguments(self, parser):
        port = os.environ.get("WEB_PORT", "8000")
        parser.add_argument("base_url", nargs="?", default=f"http://127.0.0.1:{port}/")
        parser.add_argument("--timeout", type=float, default=120.0)

    def handle(self, *args, base_url: str, timeout: float, **options):
        url = base_url.rstrip("/") + "/readyz"
        parent = os.getppid()
        deadline = time.monotonic() + timeout
        status, body = _status(url)
        while status != 200:
            if time.monotonic() > deadline:
                failed = ", ".join(body.get("failed", [])) or "no answer"
                raise CommandError(f"{url} not ready after {timeout:.0f} s: {failed}")
            if os.getppid() != parent:
                return
            time.sleep(0.5)
            status, body = _status(url)
        self.stdout.write(
            self.style.SUCCESS(f"Dashboard: {base_url}  (ready; Ctrl-C stops everything)")
        )
        note = admin_password_note()
        if note:
            self.stdout.write(self.style.SUCCESS(note))
