"""Production fails closed: with DJANGO_DEBUG=false a node missing DJANGO_SECRET_KEY or
ACCOUNTS_ENCRYPTION_KEYS refuses to start (it would otherwise make keys no other node shares);
DJANGO_ENV=local (what `make run` and `make test` set) generates them into var/ instead. A
webhook URL without its secret is a system-check error.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.checks import run_checks

ROOT = Path(__file__).resolve().parents[2]
SECRET = "x" * 50


def _manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`manage.py ARGS` with only PATH and HOME from this process, as on a fresh machine, plus
    `env`; state under tmp_path."""
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "DASHBOARD_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({}, "DJANGO_SECRET_KEY and ACCOUNTS_ENCRYPTION_KEYS not set"),
        ({"DJANGO_SECRET_KEY": SECRET}, "ACCOUNTS_ENCRYPTION_KEYS not set"),
        ({"ACCOUNTS_ENCRYPTION_KEYS": Fernet.generate_key().decode()}, "DJANGO_SECRET_KEY not set"),
    ],
)
def test_production_without_keys_stops_with_a_clear_message(tmp_path, given, named):
    result = _manage(tmp_path, "check", DJANGO_DEBUG="false", **given)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(
        f"django.core.exceptions.ImproperlyConfigured: {named} while DJANGO_DEBUG"
    )
    assert ".env.example" in last
    assert "DJANGO_ENV=local" in last
    assert not (tmp_path / "secret_key").exists()
    assert not (tmp_path / "accounts_key").exists()


def test_production_is_the_default(tmp_path):
    """Nothing set at all (a node started by hand): the same refusal, nothing generated."""
    result = _manage(tmp_path, "check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY and ACCOUNTS_ENCRYPTION_KEYS not set" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_production_with_both_keys_starts(tmp_path):
    keys = Fernet.generate_key().decode()
    result = _manage(tmp_path, "check", DJANGO_SECRET_KEY=SECRET, ACCOUNTS_ENCRYPTION_KEYS=keys)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize("mode", [{"DJANGO_ENV": "local"}, {"DJANGO_DEBUG": "true"}])
def test_local_mode_generates_keys_into_var_and_keeps_them(tmp_path, mode):
    """What `make test` runs with no environment: the migrations check passes, keys are made
    once (owner-only) and reused."""
    result = _manage(tmp_path, "makemigrations", "--check", "--dry-run", **mode)
    assert result.returncode == 0, result.stderr
    key = tmp_path / "secret_key"
    assert key.stat().st_mode & 0o777 == 0o600
    first = key.read_text()
    assert _manage(tmp_path, "check", **mode).returncode == 0
    assert key.read_text() == first
    assert (tmp_path / "accounts_key").exists()


def test_unknown_environment_name_is_refused(tmp_path):
    result = _manage(tmp_path, "check", DJANGO_ENV="staging")
    assert "DJANGO_ENV must be 'local' or 'production', not 'staging'" in result.stderr


def test_webhook_without_secret_is_a_system_check_error(settings):
    settings.NOTIFY_WEBHOOK_URL = "https://hooks.example.com/x"
    settings.NOTIFY_WEBHOOK_SECRET = ""
    assert [e.id for e in run_checks() if e.is_serious()] == ["images.E001"]
    settings.NOTIFY_WEBHOOK_SECRET = "s3cret"
    assert [e.id for e in run_checks() if e.is_serious()] == []
