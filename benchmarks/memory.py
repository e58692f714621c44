"""Figure 4, memory: the tap's peak RSS as the number of prospect IDs grows.

The IDs come from a file: the first ``memory_known`` are known to the unthrottled
simulator, the rest unknown (each batch of 100 still costs a request). The tap runs its
default catalog (every stream). Peak RSS is the child's own (``VmHWM``, polled, or
``ru_maxrss`` from ``os.wait4``). A second pair of runs adds a PostgreSQL table as an
ID source, read through the tap's server-side cursor (skipped where PostgreSQL cannot
start).
"""

from __future__ import annotations

from benchmarks import simulated
from benchmarks.context import IDS_PER_REQUEST, Bench, progress
from benchmarks.report import fmt, median

SECTION = 4
TARGET_MB = 25.0
_UNLIMITED = 100_000  # max_requests_per_second: as fast as the simulator answers


def run(bench: Bench) -> None:
    sizes = bench.sizes
    report = bench.report
    simulator = bench.unthrottled
    known = simulated.known_ids(bench.dataset, sizes.memory_known)
    report.section(
        SECTION,
        f"Memory: peak RSS of the tap process (first {sizes.memory_known:,} IDs known to the "
        f"simulator, the rest unknown; {IDS_PER_REQUEST} IDs/request, no rate limit, "
        f"every stream)",
    )
    if bench.about_rss:
        report.add(
            SECTION,
            "floor: peak RSS of `--about` (interpreter and imports, no sync)",
            fmt(median(bench.about_rss), ".1f", " MB"),
        )
    peaks: dict[int, float] = {}
    for count in sizes.memory_ids:
        ids = simulated.write_ids(
            bench.scratch / f"memory-{count}.txt",
            known[:count],
            simulated.unknown_ids(max(0, count - len(known))),
        )
        config = simulated.tap_config(
            bench.scratch / f"memory-{count}.json",
            simulator,
            ids,
            max_requests_per_second=_UNLIMITED,
            prospect_ids_per_request=IDS_PER_REQUEST,
            max_retries=1,
        )
        progress(f"memory: {count:,} prospect IDs")
        done = simulated.measured_sync(
            simulator,
            f"memory run, {count:,} IDs",
            simulated.tap_argv(config),
            timeout=60 + count / 4_000,
        )
        label = f"peak RSS, {count:,} prospect IDs"
        if not done.child.ok or done.child.maxrss_mb is None:
            report.problem(done.child.problem())
            report.add(SECTION, label, "failed (see problems)")
            continue
        peaks[count] = done.child.maxrss_mb
        share = done.simulator_share
        bound = " — simulator-bound" if share is not None and share > 0.5 else ""
        report.add(
            SECTION,
            label,
            f"{done.child.maxrss_mb:.1f} MB ({done.child.wall:.1f} s, first request after "
            f"{fmt(done.startup, '.2f', ' s')}, {done.requests:,} requests, "
            f"{done.child.records_any:,} RECORD lines; simulator busy {fmt(share, '.0%')} of "
            f"the sync{bound})",
        )
    smallest, largest = min(sizes.memory_ids), max(sizes.memory_ids)
    if smallest in peaks and largest in peaks:
        delta = peaks[largest] - peaks[smallest]
        report.add(
            SECTION,
            f"peak RSS growth, {largest:,} - {smallest:,} IDs",
            f"{delta:+.1f} MB",
            f"≤ {TARGET_MB:g} MB" if largest >= 1_000_000 else f"≤ {TARGET_MB:g} MB (at 1M)",
            delta <= TARGET_MB,
        )
    if smallest in peaks:
        with_sql(bench, largest, peaks[smallest], smallest)


def with_sql(bench: Bench, file_ids: int, floor_peak: float, floor_count: int) -> None:
    """The sync fed by a PostgreSQL table too: a small run (a tenth of the smallest file,
    plus that file) and a big one (a tenth of the largest file, plus that file). Both
    import SQLAlchemy and psycopg, so the small run is the like-for-like floor."""
    from tools.throwaway_postgres import PostgresStartError, PostgresUnavailable, start_postgres

    report = bench.report
    simulator = bench.unthrottled
    runs = ((floor_count // 10, floor_count), (file_ids // 10, file_ids))
    peaks: list[float] = []
    try:
        with start_postgres() as server:
            url = (
                f"postgresql+psycopg://{server.user}:{server.password}@{server.host}:"
                f"{server.port}/{server.database}"
            )
            for rows, count in runs:
                table = f"crm_ids_{rows}"
                server.psql(
                    f"CREATE TABLE {table} AS SELECT '003SQL' || lpad(g::text, 12, '0') "
                    f"AS id FROM generate_series(1, {rows}) AS g"
                )
                config = simulated.tap_config(
                    bench.scratch / f"memory-sql-{rows}.json",
                    simulator,
                    bench.scratch / f"memory-{count}.txt",
                    crm_prospect_ids_sql_url=url,
                    crm_prospect_ids_sql_query=f"select id from {table} order by id",
                    max_requests_per_second=_UNLIMITED,
                    prospect_ids_per_request=IDS_PER_REQUEST,
                    max_retries=1,
                )
                label = f"peak RSS, {rows:,} IDs from PostgreSQL + {count:,} from a file"
                progress(f"memory: {rows:,} IDs from PostgreSQL + {count:,} from a file")
                done = simulated.measured_sync(
                    simulator,
                    label,
                    simulated.tap_argv(config),
                    timeout=60 + (rows + count) / 4_000,
                )
                if not done.child.ok or done.child.maxrss_mb is None:
                    report.problem(done.child.problem())
                    report.add(SECTION, label, "failed (see problems)")
                    return
                peaks.append(done.child.maxrss_mb)
                report.add(
                    SECTION,
                    label,
                    f"{done.child.maxrss_mb:.1f} MB ({done.child.wall:.1f} s, "
                    f"{done.requests:,} requests); {done.child.maxrss_mb - floor_peak:+.1f} MB "
                    f"over the {floor_count:,}-ID file-only sync (SQLAlchemy and psycopg loaded)",
                )
    except PostgresUnavailable as exc:
        report.add(SECTION, "peak RSS with a PostgreSQL source", f"skipped: {exc}")
        return
    except PostgresStartError as exc:
        report.problem(f"PostgreSQL did not start: {exc}")
        return
    small, large = (rows + count for rows, count in runs)
    delta = peaks[1] - peaks[0]
    report.add(
        SECTION,
        f"peak RSS growth with PostgreSQL, {large:,} - {small:,} IDs",
        f"{delta:+.1f} MB",
        f"≤ {TARGET_MB:g} MB",
        delta <= TARGET_MB,
    )
