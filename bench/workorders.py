"""Benchmark: the work-order API under load on loopback (DESIGN.md §5).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/workorders.py [--workers 4] [--duration 20] [--rate 50] [--prepare]

It uses (and keeps, for the next time) a database ``laoyuan_bench_wo`` on the server named by
DATABASE_URL: migrated and built with ``seed_demo --scale 1 --today 2026-11-27`` (without its
bills and payments, which the work-order API never reads) when it has no work orders yet (or
with ``--prepare``, which drops and rebuilds it). It serves the app with
gunicorn (``--workers`` sync workers on 127.0.0.1, a free port, DEBUG off, ``CONN_MAX_AGE=60``)
and, signed in with API tokens of the demo users, measures:

(a) list: ``GET /api/v1/work-orders/`` (first page of 50) as ``demo-street`` (its street's orders)
    and as ``demo-company`` (its company's), with 32 concurrent clients for ``--duration`` s;
(b) create: ``POST /api/v1/work-orders/`` (compound, house, category, description) as
    ``demo-street`` on a resident's behalf, 32 concurrent clients for ``--duration`` s;
(c) p95 at a steady ``--rate`` requests/s (open loop: each request is sent at its scheduled time
    on its own connection, and its latency is counted from that time) for the list and create.

(a) and (b) use ``wrk`` (Debian package ``wrk``) when it is installed, else this script's own
asyncio client (closed loop: 32 clients, each sending its next request when the last answered).
Every response must be 200 (list) or 201 (create); the script counts the others. It prints
requests/s and latency percentiles; record the results in bench/README.md by hand.
"""

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
NAME = "laoyuan_bench_wo"
TODAY = "2026-11-27"
CLIENTS = 32
LIST = "/api/v1/work-orders/"


class NullSmsBackend:
    """Drops text messages (gunicorn's workers import it by SMS_BACKEND): the bench measures the
    API, not an SMS provider."""

    def send(self, *, phone: str, text: str) -> None:
        return None


def bench_database(url: str, *, fresh: bool) -> str:
    """The bench database's URL on DATABASE_URL's server, created when missing."""
    import psycopg

    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench/workorders.py needs DATABASE_URL=postgres://... (PostgreSQL)")
    maintenance = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        if fresh:
            connection.execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [NAME]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{NAME}"')
    return urlunsplit(urlsplit(url)._replace(path=f"/{NAME}"))


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, check=True)


def prepare(env: dict[str, str]) -> dict[str, Any]:
    """Migrate, seed when empty, and read what the clients need: tokens, a compound and houses
    for creating orders, the number of orders each list user sees."""
    manage(env, "migrate", "--verbosity", "0")
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "laoyuan.settings")
    import django

    django.setup()
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from laoyuan.accounts.models import User
    from laoyuan.places.models import House
    from laoyuan.workorders.models import WorkOrder
    from laoyuan.workorders.queries import orders_for

    if not WorkOrder.objects.exists():
        from django.core.management import call_command

        from laoyuan.demo import builder

        # The demo district without its year of bills and payments (a third of the seeding
        # time): the work-order API reads no billing table.
        builder.write_billing = lambda writer: None  # type: ignore[assignment]
        started = time.perf_counter()
        call_command("seed_demo", "--today", TODAY, "--password", "bench-only-9")
        print(f"seeded (without billing) in {time.perf_counter() - started:.0f} s")
    # Fresh planner statistics, as autovacuum's analyze would have them on a live database:
    # right after the bulk seed the planner believes the street has 23 orders, not 3,568, and
    # joins and sorts all of them (70-150 ms) instead of reading 50 from the index (under 1 ms).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    users = {
        u.username: u for u in User.objects.filter(username__in=["demo-street", "demo-company"])
    }
    tokens = {name: Token.objects.get_or_create(user=user)[0].key for name, user in users.items()}
    street = users["demo-street"]
    compound = (
        orders_for(street).order_by("compound__code").values_list("compound_id", flat=True).first()
    )
    houses = list(
        House.objects.filter(compound_id=compound).order_by("id").values_list("pk", flat=True)
    )
    return {
        "tokens": tokens,
        "compound": compound,
        "houses": houses,
        "orders": WorkOrder.objects.count(),
        "visible": {name: orders_for(user).count() for name, user in users.items()},
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def serve(env: dict[str, str], workers: int, port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "laoyuan.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--backlog",
            "256",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("gunicorn did not start")


# -- a small HTTP/1.1 client (one connection per request: gunicorn's sync workers close it) ----


def request_bytes(method: str, path: str, token: str, body: bytes = b"") -> bytes:
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {token}\r\n"
        "Accept: application/json\r\nConnection: close\r\n"
    )
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


async def send(port: int, raw: bytes) -> int:
    """The response's status code, or 0 when the connection failed (counted as not 2xx)."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return 0
    try:
        writer.write(raw)
        await writer.drain()
        data = await reader.read()  # until the server closes
    except OSError:
        return 0
    finally:
        writer.close()
    return int(data[9:12]) if data.startswith(b"HTTP/1.") else 0


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]

    return {
        "p50": at(0.50),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": ordered[-1],
        "mean": statistics.fmean(ordered),
    }


async def closed_loop(port: int, make: Any, expect: int, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    bad = 0
    deadline = time.perf_counter() + seconds

    async def client(n: int) -> None:
        nonlocal bad
        i = 0
        while time.perf_counter() < deadline:
            i += 1
            started = time.perf_counter()
            status = await send(port, make(n * 1_000_000 + i))
            latencies.append((time.perf_counter() - started) * 1000)
            bad += status != expect

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(CLIENTS)))
    elapsed = time.perf_counter() - started
    return {"requests": len(latencies), "rps": len(latencies) / elapsed, "bad": bad} | (
        percentiles(latencies)
    )


async def open_loop(
    port: int, make: Any, expect: int, rate: float, seconds: float
) -> dict[str, Any]:
    """Requests at fixed times (rate a second); latency from the scheduled time."""
    latencies: list[float] = []
    bad = 0
    start = time.perf_counter() + 0.1
    total = int(rate * seconds)

    async def one(i: int) -> None:
        nonlocal bad
        scheduled = start + i / rate
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        status = await send(port, make(i))
        latencies.append((time.perf_counter() - scheduled) * 1000)
        bad += status != expect

    await asyncio.gather(*(one(i) for i in range(total)))
    return {"requests": total, "rps": rate, "bad": bad} | percentiles(latencies)


def wrk(port: int, path: str, token: str, seconds: float, body: str | None) -> dict[str, Any]:
    """wrk with 2 threads and 32 connections; statuses checked by a Lua script."""
    script = """
bad = 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body)
  if status ~= tonumber(wrk.expect) then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write(string.format("BAD %d\\n", total))
  for _, p in ipairs({50, 95, 99}) do
    io.write(string.format("P%d %.3f\\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("REQ %d\\nSECONDS %.3f\\n", summary.requests, summary.duration / 1e6))
end
"""
    if body is not None:
        script = (
            f"wrk.method = 'POST'\nwrk.body = [[{body}]]\n"
            "wrk.headers['Content-Type'] = 'application/json'\n" + script
        )
    script = f"wrk.expect = '{201 if body is not None else 200}'\n" + script
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{CLIENTS}",
                f"-d{int(seconds)}s",
                "--timeout",
                "10s",
                "-H",
                f"Authorization: Token {token}",
                "-H",
                "Accept: application/json",
                "-s",
                f.name,
                f"http://127.0.0.1:{port}{path}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(f.name)
    keys = {"BAD", "P50", "P95", "P99", "REQ", "SECONDS"}
    figures = dict(
        parts
        for parts in (line.split() for line in out.splitlines())
        if len(parts) == 2 and parts[0] in keys
    )
    requests = int(figures["REQ"])
    errors = [line for line in out.splitlines() if "error" in line.lower()]
    return {
        "requests": requests,
        "rps": requests / float(figures["SECONDS"]),
        "bad": int(figures["BAD"]),
        "p50": float(figures["P50"]),
        "p95": float(figures["P95"]),
        "p99": float(figures["P99"]),
        "errors": " ".join(errors),
    }


def show(label: str, r: dict[str, Any]) -> None:
    print(
        f"{label:44} {r['rps']:7.1f} req/s  p50 {r['p50']:6.1f}  p95 {r['p95']:6.1f}  "
        f"p99 {r['p99']:6.1f} ms  requests {r['requests']}  not 2xx {r['bad']}"
        + (f"  ({r['errors']})" if r.get("errors") else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--prepare", action="store_true", help="drop and rebuild the database")
    parser.add_argument("--python-client", action="store_true", help="do not use wrk")
    parser.add_argument(
        "--steady-only", action="store_true", help="only (c), the steady rate's latency"
    )
    args = parser.parse_args()
    url = bench_database(os.environ.get("DATABASE_URL", ""), fresh=args.prepare)
    env = dict(os.environ) | {
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-secret-key-not-for-production",
        "ID_NUMBER_KEY": "bench",
        "ID_HASH_KEY": "bench",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SMS_BACKEND": "bench.workorders.NullSmsBackend",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    data = prepare(env)
    port = free_port()
    use_wrk = shutil.which("wrk") is not None and not args.python_client
    print(
        f"database {NAME}: {data['orders']} work orders; visible to demo-street "
        f"{data['visible']['demo-street']}, demo-company {data['visible']['demo-company']}; "
        f"gunicorn {args.workers} sync workers on 127.0.0.1:{port}; "
        f"{'wrk' if use_wrk else 'python client'}; load average {os.getloadavg()[0]:.1f}"
    )
    houses, compound = data["houses"], data["compound"]
    street = data["tokens"]["demo-street"]

    def create_body(i: int) -> str:
        return json.dumps(
            {
                "compound": compound,
                "house": houses[i % len(houses)],
                "category": "repair",
                "description": "楼道灯不亮（压测）",
            },
            ensure_ascii=False,
        )

    def list_raw(token: str) -> Any:
        raw = request_bytes("GET", LIST, token)
        return lambda i: raw

    def create_raw(i: int) -> bytes:
        return request_bytes("POST", LIST, street, create_body(i).encode())

    server = serve(env, args.workers, port)
    try:
        # Warm up: every worker imports, connects and compiles its templates.
        asyncio.run(closed_loop(port, list_raw(street), 200, 3))
        for user in () if args.steady_only else ("demo-street", "demo-company"):
            token = data["tokens"][user]
            if use_wrk:
                result = wrk(port, LIST, token, args.duration, None)
            else:
                result = asyncio.run(closed_loop(port, list_raw(token), 200, args.duration))
            show(f"(a) list as {user}, {CLIENTS} clients", result)
        if args.steady_only:
            pass
        elif use_wrk:
            result = wrk(port, LIST, street, args.duration, create_body(0))
            show(f"(b) create as demo-street, {CLIENTS} clients", result)
        else:
            result = asyncio.run(closed_loop(port, create_raw, 201, args.duration))
            show(f"(b) create as demo-street, {CLIENTS} clients", result)
        result = asyncio.run(open_loop(port, list_raw(street), 200, args.rate, args.duration))
        show(f"(c) list as demo-street at {args.rate:g}/s", result)
        result = asyncio.run(open_loop(port, create_raw, 201, args.rate, args.duration))
        show(f"(c) create as demo-street at {args.rate:g}/s", result)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
