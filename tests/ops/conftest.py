"""The several-nodes test needs what several machines share: PostgreSQL and Redis. It runs on
that pass of CI (never skipped there) and is not collected on the SQLite + filesystem pass."""

import os

_shared = os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL")
collect_ignore = [] if _shared else ["test_several_nodes.py"]
