"""Prospect IDs from a SQL query, against a real, throwaway PostgreSQL started by the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from singer_sdk.exceptions import ConfigValidationError

from tap_gong_flows.simulator import GongDataset, GongSimulator
from tools.throwaway_postgres import PostgresServer

from .support import asked_ids, postgres_or_skip, run_cli, run_tap

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def warehouse() -> Iterator[PostgresServer]:
    with postgres_or_skip() as server:
        yield server


@pytest.fixture(scope="module")
def crm_tables(warehouse: PostgresServer) -> list[str]:
    """contacts and leads of a CRM, loaded by some other tap: 1,200 distinct IDs, 200 in both."""
    ids = list(GongDataset(prospect_count=500, seed=7).prospect_ids()) + [
        f"00Q{n:015d}" for n in range(700)
    ]
    contacts, leads = ids[:600], ids[400:]
    values = lambda rows: ",".join(f"('{i}')" for i in rows)  # noqa: E731
    warehouse.psql(
        "CREATE SCHEMA salesforce;"
        "CREATE TABLE salesforce.contact (id text);"
        "CREATE TABLE salesforce.lead (id text);"
        f"INSERT INTO salesforce.contact VALUES {values(contacts)};"
        f"INSERT INTO salesforce.lead VALUES {values(leads)}, (NULL), ('  ');"
    )
    return ids


def _sql_url(server: PostgresServer, password: str | None = None) -> str:
    secret = server.password if password is None else password
    return (
        f"postgresql+psycopg://{server.user}:{secret}@{server.host}:{server.port}/{server.database}"
    )


QUERY = (
    "select id from (select id, 1 as part from salesforce.contact "
    "union all select id, 2 from salesforce.lead) ids order by part, id"
)


def test_sync_from_a_warehouse_query_combined_with_other_sources(
    warehouse: PostgresServer,
    crm_tables: list[str],
    simulator: GongSimulator,
    dataset: GongDataset,
    base_config: dict[str, Any],
    tmp_path: Path,
) -> None:
    extra_file = tmp_path / "ids.txt"
    extra_file.write_text("\n".join(crm_tables[:50]) + "\nextra-id-1\n")
    config = {
        **base_config,
        "crm_prospect_ids": ["config-only-id", crm_tables[0]],
        "crm_prospect_ids_file": str(extra_file),
        "crm_prospect_ids_sql_url": _sql_url(warehouse),
        "crm_prospect_ids_sql_query": QUERY,
    }
    output = run_tap(config)

    from_sql = sorted(crm_tables[:600]) + sorted(crm_tables[600:])
    expected_order = ["config-only-id", crm_tables[0], *crm_tables[1:50], "extra-id-1"]
    expected_order += [i for i in from_sql if i not in set(expected_order)]
    written = [record["crmProspectId"] for record in output.records("prospects")]
    assert written == expected_order  # every ID once, sources in order, blanks and NULL dropped
    asked = [i for batch in asked_ids(simulator) for i in batch]
    assert sorted(asked) == sorted(expected_order)  # and asked once each
    assert output.records() == dataset.expected_open_records(expected_order)
    sources = {r["source"] for r in output.records("prospects")}
    assert sources == {"crm_prospect_ids", "crm_prospect_ids_file", "crm_prospect_ids_sql_query"}


def test_wrong_password_fails_clearly_without_the_password(
    warehouse: PostgresServer, crm_tables: list[str], simulator: GongSimulator, tmp_path: Path
) -> None:
    config = {
        "api_url": simulator.url,
        "access_token": "sim-access-token-abcdefghijklmnop",
        "crm_prospect_ids_sql_url": _sql_url(warehouse, password="not-the-pw-4711"),
        "crm_prospect_ids_sql_query": QUERY,
    }
    result = run_cli(config=config, tmp_path=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "crm_prospect_ids_sql_url: OperationalError" in result.stderr
    assert "password authentication failed" in result.stderr
    assert "not-the-pw-4711" not in result.stderr + result.stdout
    assert simulator.request_log == []


def test_failing_query_names_the_query_setting(
    warehouse: PostgresServer, base_config: dict[str, Any]
) -> None:
    config = {
        **base_config,
        "crm_prospect_ids_sql_url": _sql_url(warehouse),
        "crm_prospect_ids_sql_query": "select id from salesforce.no_such_table",
    }
    with pytest.raises(ConfigValidationError) as caught:  # found before any request
        run_tap(config)
    (problem,) = caught.value.errors
    assert problem.startswith("crm_prospect_ids_sql_query: ProgrammingError")
    assert "no_such_table" in problem


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("postgresql+psycopg2://u:pw@localhost/db", "driver for postgresql+psycopg2://u:***@"),
        ("nosuchdb://u:pw@localhost/db", "unknown database dialect"),
        ("not a url", "not a SQLAlchemy URL"),
    ],
)
def test_unusable_url_is_a_config_error_before_any_request(
    url: str, needle: str, simulator: GongSimulator, tmp_path: Path
) -> None:
    config = {
        "api_url": simulator.url,
        "access_token": "sim-access-token-abcdefghijklmnop",
        "crm_prospect_ids_sql_url": url,
        "crm_prospect_ids_sql_query": "select 1",
    }
    result = run_cli(config=config, tmp_path=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "crm_prospect_ids_sql_url: " in result.stderr
    assert needle in result.stderr
    assert ":pw@" not in result.stderr
    assert simulator.request_log == []


def test_url_without_query_and_query_without_url(tmp_path: Path) -> None:
    base = {"access_token": "sim-access-token-abcdefghijklmnop", "crm_prospect_ids": ["a"]}
    result = run_cli(config={**base, "crm_prospect_ids_sql_url": "sqlite://"}, tmp_path=tmp_path)
    assert "crm_prospect_ids_sql_query: missing" in result.stderr
    result = run_cli(config={**base, "crm_prospect_ids_sql_query": "select 1"}, tmp_path=tmp_path)
    assert "crm_prospect_ids_sql_url: missing" in result.stderr
