"""Local stand-in for Gong's REST API (flows prospects endpoint), for demos, tests and benchmarks.

Standard library only. Typical use::

    from tap_gong_flows.simulator import GongDataset, GongSimulator

    with GongSimulator(GongDataset(prospect_count=1000)) as simulator:
        ...  # point the tap at simulator.url
"""

from .data import GongDataset, parse_prospect_index, prospect_id
from .faults import Fault, FaultPlan
from .server import GongSimulator, RequestLogEntry

__all__ = [
    "Fault",
    "FaultPlan",
    "GongDataset",
    "GongSimulator",
    "RequestLogEntry",
    "parse_prospect_index",
    "prospect_id",
]
