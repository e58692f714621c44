"""The tap as an Airbyte source: ``source-gong-flows spec | check | discover | read``.

Nothing Gong-specific lives here. The commands drive :class:`~tap_gong_flows.tap.TapGongFlows`
in-process, with its settings, streams and HTTP client, and translate what it produces:

- ``spec`` is the tap's settings schema (secrets marked ``airbyte_secret``);
- ``check`` asks for the first page of ``GET /v2/users`` through the tap's own stream;
- ``discover`` lists the tap's streams with their schemas, keys and sync modes;
- ``read`` runs the tap's sync with a message writer that turns each Singer message into
  Airbyte messages as it is written (records, one STREAM state per stream), and routes the
  tap's log lines to Airbyte LOG messages on stdout.

Needs the ``airbyte`` extra: ``pip install 'tap-gong-flows[airbyte]'``.
"""
