"""``source-gong-flows``, the tap as an Airbyte source, against the simulator.

Every line a command writes to stdout is validated against the Airbyte protocol's published
models (``airbyte-protocol-models``), with no field the models do not know.
"""
