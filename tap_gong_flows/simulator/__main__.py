"""Command line: run the Gong API simulator until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import ipaddress
import os
import signal
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from types import FrameType

from tap_gong_flows.simulator.faults.plan import FaultPlan
from tap_gong_flows.simulator.model.dataset import GongDataset
from tap_gong_flows.simulator.model.people import DEFAULT_USER_COUNT
from tap_gong_flows.simulator.serving.latency import DEFAULT_CAP_FACTOR, DEFAULT_SIGMA, AnswerDelay
from tap_gong_flows.simulator.serving.oauth import (
    DEFAULT_ACCESS_TOKEN_SECONDS,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_REFRESH_TOKEN,
    OAuthIssuer,
)
from tap_gong_flows.simulator.serving.paging import DEFAULT_PAGE_SIZE
from tap_gong_flows.simulator.serving.routes import REQUIRED_SCOPES
from tap_gong_flows.simulator.serving.scopes import parse_scope_list
from tap_gong_flows.simulator.serving.server import GongSimulator

READY_MESSAGE = "Gong API simulator listening on {url}"


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gong-api-simulator",
        description=(
            "Serve a deterministic fake of Gong's Engage endpoints: /v2/flows/prospects, "
            "/v2/users, /v2/flows, /v2/flows/folders, /v2/flows/steps and /v2/tasks. "
            "With --scopes, endpoints needing a scope the credentials lack answer 403."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (loopback)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    parser.add_argument("--prospects", type=int, default=1000, help="number of known prospects")
    parser.add_argument("--seed", type=int, default=0, help="dataset seed")
    parser.add_argument(
        "--users",
        type=int,
        default=DEFAULT_USER_COUNT,
        help="number of Gong users; the first 6 own the flow instances",
    )
    parser.add_argument(
        "--page-size",
        type=int,
        default=DEFAULT_PAGE_SIZE,
        help="items per page of /v2/users, /v2/flows and /v2/flows/folders",
    )
    parser.add_argument("--access-key", default="sim-access-key")
    parser.add_argument("--access-key-secret", default="sim-access-key-secret")
    parser.add_argument("--access-token", default="sim-access-token")
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID, help="the OAuth app's client ID")
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    parser.add_argument(
        "--refresh-token",
        default=DEFAULT_REFRESH_TOKEN,
        help="the first refresh token the OAuth token endpoint accepts (single-use)",
    )
    parser.add_argument(
        "--oauth-token-seconds",
        type=float,
        default=DEFAULT_ACCESS_TOKEN_SECONDS,
        metavar="SECONDS",
        help="life of the access tokens the OAuth token endpoint issues",
    )
    parser.add_argument(
        "--scopes",
        type=_scope_list,
        default=None,
        metavar="SCOPES",
        help=(
            "comma-separated OAuth scopes the credentials hold, e.g. "
            "api:flows:read,api:users:read; endpoints needing another scope answer 403 "
            "'Insufficient scope'. Scopes the endpoints need: "
            f"{', '.join(sorted(set(REQUIRED_SCOPES.values())))}. "
            "Default: every scope is granted"
        ),
    )
    rate = parser.add_mutually_exclusive_group()
    rate.add_argument(
        "--rate-limit", type=float, default=3.0, help="requests allowed per 1 s window"
    )
    rate.add_argument(
        "--no-rate-limit",
        dest="rate_limit",
        action="store_const",
        const=None,
        help="disable the per-second limit",
    )
    daily = parser.add_mutually_exclusive_group()
    daily.add_argument("--daily-limit", type=int, default=10000, help="requests per UTC day")
    daily.add_argument(
        "--no-daily-limit",
        dest="daily_limit",
        action="store_const",
        const=None,
        help="disable the daily limit",
    )
    parser.add_argument(
        "--max-ids-per-request", type=int, default=None, help="reject larger requests with 400"
    )
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        help="probability of a random transient fault per request",
    )
    parser.add_argument("--fault-seed", type=int, default=None, help="seed for random faults")
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help=(
            "median answer time; answers vary around it (lognormal, "
            f"sigma {DEFAULT_SIGMA}, at most {DEFAULT_CAP_FACTOR:g}x the median)"
        ),
    )
    parser.add_argument("--latency-seed", type=int, default=0, help="seed for the answer times")
    parser.add_argument(
        "--finished-share",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help=(
            "let time pass before serving: about this share of the open flow instances have "
            "finished (gone from prospect queries, their outcome shown by flowInstanceIds)"
        ),
    )
    parser.add_argument(
        "--write-ids",
        type=Path,
        default=None,
        metavar="PATH",
        help="write the prospect IDs to PATH, one per line, before serving",
    )
    parser.add_argument(
        "--allow-remote", action="store_true", help="allow binding a non-loopback interface"
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser


def _scope_list(text: str) -> frozenset[str]:
    try:
        return parse_scope_list(text)
    except ValueError as problem:
        raise argparse.ArgumentTypeError(str(problem)) from None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def write_lines(path: Path, lines: Iterable[str]) -> None:
    """Stream ``lines`` into ``path`` atomically, so readers never see a partial file."""
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="ascii", newline="\n", buffering=1 << 20) as handle:
        for line in lines:
            handle.write(line)
            handle.write("\n")
    os.replace(partial, path)


def main(argv: list[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if not args.allow_remote and not _is_loopback(args.host):
        parser.error(f"refusing to bind non-loopback host {args.host!r} without --allow-remote")
    try:
        dataset = GongDataset(args.prospects, seed=args.seed, user_count=args.users)
        if args.finished_share:
            dataset.finish_instances(args.finished_share)
        faults = FaultPlan(random_rate=args.fault_rate, seed=args.fault_seed)
        simulator = GongSimulator(
            dataset,
            access_key=args.access_key,
            access_key_secret=args.access_key_secret,
            access_token=args.access_token,
            rate_limit_per_second=args.rate_limit,
            daily_limit=args.daily_limit,
            host=args.host,
            port=args.port,
            faults=faults,
            max_ids_per_request=args.max_ids_per_request,
            page_size=args.page_size,
            verbose=args.verbose,
            latency=AnswerDelay(args.latency, seed=args.latency_seed) if args.latency else None,
            scopes=args.scopes,
            oauth=OAuthIssuer(
                client_id=args.client_id,
                client_secret=args.client_secret,
                refresh_token=args.refresh_token,
                access_token_seconds=args.oauth_token_seconds,
            ),
        )
    except ValueError as problem:
        parser.error(str(problem))

    stop_requested = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop_requested.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    if args.write_ids is not None:
        write_lines(args.write_ids, dataset.prospect_ids())
    try:
        simulator.start()
    except OSError as problem:
        print(
            f"gong-api-simulator: cannot listen on {args.host}:{args.port}: {problem}",
            file=sys.stderr,
        )
        return 1
    try:
        print(READY_MESSAGE.format(url=simulator.url), flush=True)
        # Waiting in short slices keeps the main thread responsive to signals.
        while not stop_requested.wait(0.5):
            pass
    finally:
        simulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
