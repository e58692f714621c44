"""The preflight (``--test``, ``meltano invoke tap-gong-flows --test``, Airbyte ``check``):
one cheap request per endpoint the selected streams need, every answer reported at once.

A new key often lacks a scope or two. Syncing to find out costs a failed run per scope;
the preflight asks each endpoint once (the first page of users, one user's flows and
folders, one flow's steps, one user's tasks, one prospect's flows), paced through the
request engine, and reports which selected streams can run, which cannot and why, and
what a sync of the runnable ones will cost (:mod:`tap_gong_flows.cost_plan`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import requests

from tap_gong_flows.answers import Payload
from tap_gong_flows.cost_plan import CostPlan, FirstPage, PlanInputs, ProbeFindings, plan_cost
from tap_gong_flows.engine import RequestEngine
from tap_gong_flows.errors import GongAPIError, GongError
from tap_gong_flows.gong_api import TASK_ACTIONS
from tap_gong_flows.preflight_advice import failure_advice, last_status
from tap_gong_flows.prospect_ids import ProspectIdSource, unique_prospect_ids
from tap_gong_flows.schemas import KNOWN_VALUES
from tap_gong_flows.scopes import (
    ASSIGNED_FLOWS,
    ENDPOINTS,
    FLOWS,
    FOLDERS,
    STEPS,
    TASKS,
    USERS,
    Endpoint,
    exclude_commands,
    in_reading_order,
    stream_endpoints,
)

# Answers that show the request got past the credentials and the scope check: the probe
# had no real user or flow to name (the endpoint that lists them was refused).
_REACHED = (400, 404)
# Stand-ins for the IDs a probe names when no earlier probe supplied a real one.
_NO_USER_ID = "0"
_NO_PROSPECT_ID = "preflight-no-prospect"


@dataclass(frozen=True)
class ProbeAnswer:
    """What one endpoint answered: ``ok``, ``missing`` (a 403), ``error`` or ``not sent``."""

    endpoint: Endpoint
    verdict: str
    detail: str = ""
    payload: Payload | None = None
    status: int | None = None  # Gong's HTTP status; None when no answer came

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"

    def text(self) -> str:
        return self.verdict + (f": {self.detail}" if self.detail else "")


@dataclass
class PreflightSettings:
    """What the preflight needs to know about the sync it checks for."""

    api_url: str
    auth_scheme: str  # Basic or Bearer
    streams: Sequence[str]  # the selected streams
    id_sources: Sequence[ProspectIdSource]  # configured sources, Gong's tasks aside
    from_tasks: bool = False
    track_finished_flows: bool = False
    tracked_instances: int = 0  # open at the end of the last sync (track_finished_flows)
    workspace_id: str | None = None
    prospect_ids_per_request: int = 100
    max_requests_per_second: float = 3.0


@dataclass
class PreflightReport:
    settings: PreflightSettings
    answers: dict[Endpoint, ProbeAnswer] = field(default_factory=dict)
    plan: CostPlan | None = None

    def endpoints_of(self, stream: str) -> tuple[Endpoint, ...]:
        return stream_endpoints(stream, from_tasks=self.settings.from_tasks)

    def can_run(self, stream: str) -> bool:
        return all(self.answers[e].ok for e in self.endpoints_of(stream))

    @property
    def blocked(self) -> list[str]:
        return [s for s in self.settings.streams if not self.can_run(s)]

    @property
    def ok(self) -> bool:
        return not self.blocked

    @property
    def first_failure(self) -> ProbeAnswer | None:
        return next((a for a in self.answers.values() if not a.ok), None)

    def auth_kind(self) -> str:
        if self.settings.auth_scheme == "Bearer":
            return "an OAuth access token (Bearer)"
        return "an access key (Basic auth)"

    def table_lines(self) -> list[str]:
        rows = [("stream", "endpoint", "scope", "answer")]
        for stream in self.settings.streams:
            endpoints = self.endpoints_of(stream)
            if not endpoints:
                rows.append((stream, "(none: the configured IDs)", "-", "ok"))
            for endpoint in endpoints:
                rows.append((stream, str(endpoint), endpoint.scope, self.answers[endpoint].text()))
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        return [
            "  " + "  ".join(f"{c:<{w}}" for c, w in zip(r, widths, strict=False)) + "  " + r[3]
            for r in rows
        ]

    def verdict_lines(self) -> list[str]:
        count = len(self.settings.streams)
        if self.ok:
            return [f"Preflight passed: all {count} selected streams can run."]
        blocked = self.blocked
        missing = self.missing_scopes()
        lines = [
            f"Preflight failed: {len(blocked)} of {count} selected streams cannot run: "
            f"{', '.join(blocked)}."
        ]
        if missing:
            lines.append(
                f"Missing scopes: {', '.join(missing)}. Either grant them to the credentials "
                "(the access key's API permissions in Gong, or the OAuth app's scopes, then "
                "authorize again), or deselect the streams that need them:"
            )
            lines += [f"  {command}" for command in exclude_commands(blocked)]
            if self.settings.from_tasks and any(
                s in blocked for s in ("prospects", "assigned_flows")
            ):
                lines.append("  (and set crm_prospect_ids_from_tasks: false)")
        failure = self.first_failure
        if failure is not None and failure.verdict != "missing":
            lines.append(f"{failure.endpoint} failed: {failure.detail}")
            lines += failure_advice(failure.status, self.settings.api_url)
        return lines

    def lines(self) -> list[str]:
        streams = len(self.settings.streams)
        header = (
            f"Preflight against {self.settings.api_url} with {self.auth_kind()}, "
            f"for {streams} selected stream{'s' if streams != 1 else ''}:"
        )
        lines = [header, *self.table_lines(), *self.verdict_lines()]
        if self.plan is not None and self.plan.lines:
            runnable = [s for s in self.settings.streams if self.can_run(s)]
            lines.append(f"Planned cost of a sync of {', '.join(runnable)} (without retries):")
            lines += self.plan.report_lines()
        return lines

    def failure_message(self) -> str:
        """One paragraph for a failed Airbyte check: the refusals, the streams, the fixes."""
        parts = []
        for answer in self.answers.values():
            if answer.ok or answer.verdict == "not sent":
                continue
            streams = [s for s in self.blocked if answer.endpoint in self.endpoints_of(s)]
            parts.append(
                f"{answer.endpoint} answered {answer.detail}: needed by {', '.join(streams)} "
                f"({answer.endpoint.scope})"
            )
        blocked = self.blocked
        text = (
            "; ".join(parts)
            + f". {len(blocked)} of {len(self.settings.streams)} streams cannot run: "
            + f"{', '.join(blocked)}."
        )
        missing = self.missing_scopes()
        if missing:
            text += (
                f" Grant {', '.join(missing)} to the credentials, or leave those streams out "
                "of the connection (a check asks about every stream)."
            )
        return text

    def missing_scopes(self) -> list[str]:
        return sorted(
            {
                endpoint.scope
                for stream in self.blocked
                for endpoint in self.endpoints_of(stream)
                if self.answers[endpoint].verdict == "missing"
            }
        )


class Preflight:
    """Sends the probes and builds the report."""

    def __init__(self, engine: RequestEngine, settings: PreflightSettings) -> None:
        self._engine = engine
        self._settings = settings
        self._stopped: str | None = None  # why no further probe is sent
        self._findings: dict[str, Any] = {}

    def needed_endpoints(self) -> list[Endpoint]:
        wanted = {
            e
            for s in self._settings.streams
            for e in stream_endpoints(s, from_tasks=self._settings.from_tasks)
        }
        return [e for e in ENDPOINTS if e in wanted]

    def run(self) -> PreflightReport:
        settings = self._settings
        settings.streams = in_reading_order(settings.streams)
        report = PreflightReport(settings)
        first_id, id_count = self._count_prospect_ids()
        self._findings["prospect_ids"] = id_count
        needed = self.needed_endpoints()
        user: Mapping[str, Any] | None = None
        flow_id: str | None = None
        for endpoint in needed:
            if endpoint == USERS:
                answer = self._probe(USERS, params={})
                user = self._learn_users(answer)
            elif endpoint in (FLOWS, FOLDERS):
                owner = "flowOwnerEmail" if endpoint == FLOWS else "flowFolderOwnerEmail"
                params = {owner: user["emailAddress"]} if user else {}
                if settings.workspace_id:
                    params["workspaceId"] = settings.workspace_id
                answer = self._probe(endpoint, params=params, stand_in=user is None)
                flow_id = self._learn_list(endpoint, answer) or flow_id
            elif endpoint == STEPS:
                ids = [flow_id] if flow_id else []
                answer = self._probe(STEPS, body={"flowIds": ids}, stand_in=not ids)
            elif endpoint == TASKS:
                answer = self._probe(TASKS, body=self._tasks_body(user), stand_in=user is None)
            else:
                body = {"crmProspectsIds": [first_id or _NO_PROSPECT_ID]}
                answer = self._probe(ASSIGNED_FLOWS, body=body)
            report.answers[endpoint] = answer
        runnable = [s for s in settings.streams if report.can_run(s)]
        report.plan = plan_cost(
            PlanInputs(
                runnable,
                settings.prospect_ids_per_request,
                settings.from_tasks,
                settings.track_finished_flows,
                settings.max_requests_per_second,
                settings.tracked_instances,
            ),
            ProbeFindings(**self._findings),
        )
        return report

    def _count_prospect_ids(self) -> tuple[str | None, int]:
        if not any(s in self._settings.streams for s in ("prospects", "assigned_flows")):
            return None, 0
        ids = unique_prospect_ids(self._settings.id_sources)
        first = next(islice(ids, 1), None)
        count = 0 if first is None else 1 + sum(1 for _ in ids)
        return (None if first is None else first[0]), count

    def _tasks_body(self, user: Mapping[str, Any] | None) -> dict[str, Any]:
        task_filter: dict[str, Any] = {
            "userId": str(user["id"]) if user else _NO_USER_ID,
            "types": list(KNOWN_VALUES["TASK"]["type"]),
            "status": list(KNOWN_VALUES["TASK"]["status"]),
            "taskAction": list(TASK_ACTIONS),
        }
        if self._settings.workspace_id:
            task_filter["workspaceId"] = self._settings.workspace_id
        return {"filter": task_filter}

    def _probe(
        self,
        endpoint: Endpoint,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        stand_in: bool = False,
    ) -> ProbeAnswer:
        if self._stopped is not None:
            return ProbeAnswer(endpoint, "not sent", self._stopped)
        try:
            payload = self._engine.probe(endpoint.method, endpoint.path, params=params, body=body)
        except GongAPIError as exc:
            answer = exc.answer.split(" answered ", 1)[-1]
            if exc.status == 403:
                return ProbeAnswer(endpoint, "missing", answer)
            if stand_in and exc.status in _REACHED:
                return ProbeAnswer(endpoint, "ok", "the scope is granted (no real ID to ask about)")
            if exc.status in (401, 429) or (exc.status is not None and 300 <= exc.status < 400):
                self._stopped = f"{endpoint} answered {exc.status}"
            detail = answer if exc.status != 429 else str(exc)
            return ProbeAnswer(endpoint, "error", detail, status=exc.status)
        except (GongError, requests.RequestException) as exc:
            self._stopped = f"{endpoint} failed"
            detail = str(exc) or type(exc).__name__
            return ProbeAnswer(endpoint, "error", detail, status=last_status(exc))
        return ProbeAnswer(endpoint, "ok", payload=payload)

    def _learn_users(self, answer: ProbeAnswer) -> Mapping[str, Any] | None:
        users = _items(answer, "users")
        if users is None:
            return None
        active = [u for u in users if u.get("emailAddress") and u.get("active", True) is not False]
        self._findings["users"] = _first_page(answer, users)
        self._findings["active_on_first_page"] = len(active)
        return active[0] if active else None

    def _learn_list(self, endpoint: Endpoint, answer: ProbeAnswer) -> str | None:
        items = _items(answer, "flows")  # folders come under "flows" too, as Gong has it
        if items is None:
            return None
        if endpoint == FOLDERS:
            self._findings["folders"] = _first_page(answer, items)
            return None
        self._findings["flows"] = _first_page(answer, items)
        self._findings["personal_flows_seen"] = sum(
            1 for flow in items if flow.get("visibility") == "Personal"
        )
        return str(items[0]["id"]) if items and items[0].get("id") else None


def _items(answer: ProbeAnswer, key: str) -> list[Mapping[str, Any]] | None:
    if answer.payload is None:
        return None
    items = answer.payload.get(key) or []
    return [item for item in items if isinstance(item, Mapping)] if isinstance(items, list) else []


def _first_page(answer: ProbeAnswer, items: Iterable[Any]) -> FirstPage:
    assert answer.payload is not None
    records = answer.payload.get("records")
    records = records if isinstance(records, Mapping) else {}
    count = len(list(items))
    total = records.get("totalRecords")
    return FirstPage(
        total=int(total) if isinstance(total, int) else count,
        items=count,
        more_pages=bool(records.get("cursor")),
    )
