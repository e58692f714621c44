"""Gong Engage streams, grouped by area of the API."""

from tap_gong_flows.streams.assigned_flows import AssignedFlowsStream
from tap_gong_flows.streams.prospects import ProspectsStream

__all__ = ["AssignedFlowsStream", "ProspectsStream"]
