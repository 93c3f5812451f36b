"""Command line: `python -m sandbox [--port 8100] [--state var/sandbox.sqlite3] ...`."""

import argparse
import logging
import signal
import sys

from sandbox.app import App
from sandbox.config import Settings
from sandbox.faults import DOWNLOAD_MODES
from sandbox.server import SandboxHTTPServer

log = logging.getLogger("sandbox")


def parse_args(argv: list[str] | None = None) -> tuple[Settings, str]:
    defaults = Settings()
    parser = argparse.ArgumentParser(
        prog="python -m sandbox", description="Local stand-in for Contabo's Images API."
    )
    add = parser.add_argument
    add("--host", default=defaults.host, help="address to bind (default: loopback)")
    add("--port", type=int, default=defaults.port)
    add("--state", default=defaults.state, help="SQLite file holding the state")
    add("--quota-mb", type=float, default=defaults.quota_mb, help="custom image storage")
    add(
        "--bandwidth-mbps",
        type=float,
        default=defaults.bandwidth_mbps,
        help="MB/s per download; 0 = unthrottled",
    )
    add("--token-lifetime", type=int, default=defaults.token_lifetime_s, help="seconds")
    add(
        "--refresh-token-lifetime",
        type=int,
        default=defaults.refresh_token_lifetime_s,
        help="seconds",
    )
    add("--latency-ms", type=float, default=defaults.latency_ms, help="added to every API answer")
    add(
        "--error-rate",
        type=float,
        default=defaults.error_rate,
        help="share of API answers that are 500/503",
    )
    add(
        "--rate-limit-rate",
        type=float,
        default=defaults.rate_limit_rate,
        help="share of API answers that are 429",
    )
    add("--retry-after", type=int, default=defaults.retry_after_s, help="Retry-After of a 429")
    add("--download-mode", choices=DOWNLOAD_MODES, default=defaults.download_mode)
    add(
        "--stall-timeout",
        type=float,
        default=defaults.stall_timeout_s,
        help="seconds without data before a download fails as stalled",
    )
    dialects = parser.add_argument_group("dialects (see sandbox/dialect.py)")
    dialects.add_argument("--null-fields", default="", help="image/stats fields sent as null")
    dialects.add_argument("--missing-fields", default="", help="image/stats fields left out")
    dialects.add_argument("--extra-fields", action="store_true", help="fields the spec lacks")
    dialects.add_argument("--numbers-as-text", action="store_true", help='sizes as "1024"')
    dialects.add_argument("--inflight-status", default="", help="instead of downloading")
    dialects.add_argument("--refuse-order-by", default="", help="orderBy fields answered 400")
    dialects.add_argument("--page-size-cap", type=int, default=0, help="0 = no cap")
    dialects.add_argument("--token-flap-rate", type=float, default=0, help="share of 401s")
    dialects.add_argument("--progress-at-end", action="store_true", help="no bytes until done")
    dialects.add_argument("--malformed-ids", default="", help="images with unreadable sizeMb")
    dialects.add_argument("--unstable-order", action="store_true", help="pages in random order")
    add("--client-id", default=defaults.client_id)
    add("--client-secret", default=defaults.client_secret)
    add("--username", default=defaults.username)
    add("--password", default=defaults.password)
    add("--tenant-id", choices=("DE", "INT"), default=defaults.tenant_id)
    add("--customer-id", default=defaults.customer_id)
    add(
        "--allow-remote-control",
        action="store_true",
        help="let non-loopback clients use /_sandbox/ (only matters with a public --host)",
    )
    add("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    args = parser.parse_args(argv)
    settings = Settings(
        host=args.host,
        port=args.port,
        state=args.state,
        quota_mb=args.quota_mb,
        bandwidth_mbps=args.bandwidth_mbps,
        token_lifetime_s=args.token_lifetime,
        refresh_token_lifetime_s=args.refresh_token_lifetime,
        latency_ms=args.latency_ms,
        error_rate=args.error_rate,
        rate_limit_rate=args.rate_limit_rate,
        retry_after_s=args.retry_after,
        download_mode=args.download_mode,
        stall_timeout_s=args.stall_timeout,
        null_fields=args.null_fields,
        missing_fields=args.missing_fields,
        extra_fields=args.extra_fields,
        numbers_as_text=args.numbers_as_text,
        inflight_status=args.inflight_status,
        refuse_order_by=args.refuse_order_by,
        page_size_cap=args.page_size_cap,
        token_flap_rate=args.token_flap_rate,
        progress_at_end=args.progress_at_end,
        malformed_ids=args.malformed_ids,
        unstable_order=args.unstable_order,
        client_id=args.client_id,
        client_secret=args.client_secret,
        username=args.username,
        password=args.password,
        tenant_id=args.tenant_id,
        customer_id=args.customer_id,
        allow_remote_control=args.allow_remote_control,
    )
    return settings, args.log_level


def _stop(signum, frame) -> None:
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> None:
    settings, level = parse_args(argv)
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = App(settings)
    server = SandboxHTTPServer(app)
    signal.signal(signal.SIGTERM, _stop)
    host, port = server.server_address[:2]
    # Credentials are never logged, only where to find the endpoints.
    log.info("Contabo sandbox on http://%s:%s (state %s)", host, port, settings.state)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.close()
        log.info("stopped")


if __name__ == "__main__":
    main()
