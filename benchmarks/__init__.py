"""Benchmarks of tap-gong-flows against its bundled Gong API simulator.

Run ``python -m benchmarks`` from the repository root (see ``benchmarks/README.md``).
Not part of the test suite.
"""
