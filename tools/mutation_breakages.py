"""The breakages ``tools/mutation_check.py`` applies, one at a time: each one small, each
a promise of the README broken, each with the tests that should catch it.

A breakage names exact text of one file of ``tap_gong_flows/`` and what replaces it; the
check refuses one whose text no longer occurs exactly once, so the list cannot go stale
silently. A breakage must be observable: a change to the state that no STATE message ever
carries (say, after a failure) breaks nothing a user can see.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Breakage:
    """``edits`` (old text, new text) applied to ``path``; each old text must occur once."""

    name: str
    breaks: str  # the promise it breaks, in a few words
    path: str
    edits: tuple[tuple[str, str], ...]
    tests: tuple[str, ...]


AF = "tap_gong_flows/streams/assigned_flows.py"
STATE_TESTS = ("tests/test_promises_state.py",)
SYNC_TESTS = ("tests/test_sync.py",)

BREAKAGES: tuple[Breakage, ...] = (
    Breakage(
        "resume-from-zero",
        "a resumed sync skips the prospects already done",
        AF,
        (("return int(self.stream_state.get(RESUME_KEY, 0))", "return 0"),),
        # (test_prospect_streams' resume test would catch it too, but it compares the asked
        # batches as a list, and a request the failed run still had in flight can arrive
        # after its log reset: under load it fails now and then, unbroken.)
        STATE_TESTS,
    ),
    Breakage(
        "state-every-batch-with-tracking",
        "with tracking, the position is saved at most every 30 s",
        AF,
        (("STATE_INTERVAL_SECONDS = 30.0", "STATE_INTERVAL_SECONDS = 0.0"),),
        STATE_TESTS,
    ),
    Breakage(
        "open-list-replaced-mid-sync",
        "the open list is replaced only at the end of a complete sync",
        AF,
        (
            (
                "        self._save_position(batch.last_position)\n",
                "        self._save_position(batch.last_position)\n"
                "        self.stream_state[OPEN_INSTANCES_KEY] = "
                "encode_instance_ids(open_now or ())\n",
            ),
        ),
        STATE_TESTS,
    ),
    Breakage(
        "open-list-left-out-of-mid-sync-state",
        "a failed sync's state keeps the open list (its resumption looks up the outcomes)",
        AF,
        (
            (
                "            self.stream_state[RESUME_KEY] = position\n",
                "            self.stream_state[RESUME_KEY] = position\n"
                "            self.stream_state.pop(OPEN_INSTANCES_KEY, None)\n",
            ),
        ),
        STATE_TESTS,
    ),
    Breakage(
        "activate-version-before-outcomes",
        "ACTIVATE_VERSION after the last record, outcomes included",
        AF,
        (
            (
                "        try:\n            if self.tracks_finished_flows:",
                "        self.activate_version()\n"
                "        try:\n            if self.tracks_finished_flows:",
            ),
            (
                "        self.close_sync_metrics(failed=False)\n        self.activate_version()\n",
                "        self.close_sync_metrics(failed=False)\n",
            ),
        ),
        ("tests/test_promises_activation.py",),
    ),
    Breakage(
        "activate-version-on-failed-sync",
        "a failed sync sends no ACTIVATE_VERSION",
        "tap_gong_flows/streams/prospects.py",
        (
            (
                "                self.engine.stop(exc)",
                "                self.engine.stop(exc)\n                self.activate_version()",
            ),
        ),
        (
            "tests/test_prospect_streams.py::test_activate_version_once_at_the_end_and_kept_across_a_resume",
        ),
    ),
    Breakage(
        "from-tasks-fetches-users-again",
        "crm_prospect_ids_from_tasks costs users + U (users fetched once)",
        "tap_gong_flows/prospect_ids/gong_tasks.py",
        (("for user in self._directory.users()]", "for user in self._api.users()]"),),
        ("tests/test_promises_cost.py",),
    ),
    Breakage(
        "workspace-ignored-by-flows",
        "workspace_id narrows flows",
        "tap_gong_flows/gong_api.py",
        (
            (
                'params = {"flowOwnerEmail": owner_email, "workspaceId": self.workspace_id}',
                'params = {"flowOwnerEmail": owner_email}',
            ),
        ),
        ("tests/test_promises_workspace.py",),
    ),
    Breakage(
        "workspace-ignored-by-folders",
        "workspace_id narrows folders",
        "tap_gong_flows/gong_api.py",
        (
            (
                'params = {"flowFolderOwnerEmail": owner_email, "workspaceId": self.workspace_id}',
                'params = {"flowFolderOwnerEmail": owner_email}',
            ),
        ),
        ("tests/test_promises_workspace.py",),
    ),
    Breakage(
        "workspace-ignored-by-tasks",
        "workspace_id narrows tasks",
        "tap_gong_flows/gong_api.py",
        (("        if self.workspace_id:\n", "        if False:\n"),),
        ("tests/test_promises_workspace.py",),
    ),
    Breakage(
        "redactor-not-installed",
        "a log filter masks secrets in every log line",
        "tap_gong_flows/tap.py",
        (("redaction.install(redaction.SecretRedactor(secrets))", "pass"),),
        ("tests/test_promises_redaction.py",),
    ),
    Breakage(
        "redactor-misses-auth-header",
        "the Authorization header is masked too",
        "tap_gong_flows/tap.py",
        (("secrets.append(self.auth.header_value)", "pass"),),
        ("tests/test_promises_redaction.py",),
    ),
    Breakage(
        "secret-in-error-message",
        "no secret in errors",
        "tap_gong_flows/errors.py",
        (
            (
                'return f"{method} {path} answered {response.status_code}{reason}{detail}"',
                'auth = request.headers.get("Authorization") if request is not None else ""\n'
                '    return f"{method} {path} answered {response.status_code}{reason}{detail}"'
                ' + f" {auth}"',
            ),
        ),
        (
            "tests/test_fault_matrix.py::test_no_secret_in_logs_output_state_or_errors_across_every_failure_path",
        ),
    ),
    Breakage(
        "backoff-base-halved",
        "backoff starts at 1 s",
        "tap_gong_flows/engine.py",
        (("retry_base_seconds = 1.0", "retry_base_seconds = 0.5"),),
        ("tests/test_promises_retry_schedule.py",),
    ),
    Breakage(
        "backoff-uncapped",
        "no backoff wait over 60 s",
        "tap_gong_flows/engine.py",
        (("retry_max_seconds = 60.0", "retry_max_seconds = 600.0"),),
        ("tests/test_promises_retry_schedule.py",),
    ),
    Breakage(
        "backoff-without-jitter",
        "backoff waits are jittered",
        "tap_gong_flows/retries.py",
        (("yield ceiling / 2 + draw.uniform(0, ceiling / 2)", "yield ceiling"),),
        ("tests/test_promises_retry_schedule.py",),
    ),
    Breakage(
        "429-not-retried",
        "a 429 is retried",
        "tap_gong_flows/answers.py",
        (
            (
                "        raise rate_limited_error(response, max_retry_after_seconds)",
                "        raise GongAPIError(describe_http_error(response), status)",
            ),
        ),
        SYNC_TESTS,
    ),
    Breakage(
        "retry-after-ignored",
        "a 429's Retry-After is waited exactly",
        "tap_gong_flows/answers.py",
        (
            (
                'retry_after = parse_retry_after(response.headers.get("Retry-After"))',
                "retry_after = None",
            ),
        ),
        ("tests/test_promises_retry_schedule.py", *SYNC_TESTS),
    ),
    Breakage(
        "4xx-retried",
        "a 4xx fails at once, without retrying",
        "tap_gong_flows/answers.py",
        (
            (
                "raise GongAPIError(answer + hint, status, answer=answer)",
                "raise GongTransientError(answer + hint, response)",
            ),
        ),
        (*SYNC_TESTS, "tests/test_error_table.py"),
    ),
    Breakage(
        "last-partial-batch-dropped",
        "every prospect is asked about",
        "tap_gong_flows/iterables.py",
        (
            (
                "while batch := list(islice(iterator, size)):",
                "while len(batch := list(islice(iterator, size))) == size:",
            ),
        ),
        SYNC_TESTS,
    ),
    Breakage(
        "a-batch-dropped",
        "every batch's records are written",
        "tap_gong_flows/streams/prospects.py",
        (
            (
                "        if answer is not None:\n",
                "        if answer is not None and batch.number != 2:\n",
            ),
        ),
        SYNC_TESTS,
    ),
    Breakage(
        "dedupe-off",
        "each prospect ID is asked about once",
        "tap_gong_flows/prospect_ids/pipeline.py",
        (("for prospect_id in seen.add_new(clean):", "for prospect_id in clean:"),),
        SYNC_TESTS,
    ),
    Breakage(
        "foreign-records-kept",
        "records of prospects not asked about are dropped",
        AF,
        (
            (
                '            if record.get("crmProspectId") not in asked:\n',
                "            if False:\n",
            ),
        ),
        SYNC_TESTS,
    ),
)
