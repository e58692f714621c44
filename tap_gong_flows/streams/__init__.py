"""Gong Engage streams, grouped by area of the API."""

from tap_gong_flows.streams.assigned_flows import AssignedFlowsStream

__all__ = ["AssignedFlowsStream"]
