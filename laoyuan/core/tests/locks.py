"""For race tests on PostgreSQL: wait, inside a transaction holding a lock, until another
session is queued behind it, so a test knows the race it stages really happened."""

import time

from django.db import connection


def blocks_another(timeout: float = 20.0) -> bool:
    """Whether, within ``timeout`` seconds, some other session waits on a lock this session
    holds (pg_locks and pg_blocking_pids are read live, not from the transaction's snapshot)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted "
                "AND pg_backend_pid() = ANY (pg_blocking_pids(pid)))"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.05)
    return False
