"""Gong Engage streams, grouped by area of the API."""

from tap_gong_flows.streams.assigned_flows import AssignedFlowsStream
from tap_gong_flows.streams.flows import FlowFoldersStream, FlowsStream, FlowStepsStream
from tap_gong_flows.streams.prospects import ProspectsStream
from tap_gong_flows.streams.tasks import TasksStream
from tap_gong_flows.streams.users import UsersStream

__all__ = [
    "AssignedFlowsStream",
    "FlowFoldersStream",
    "FlowStepsStream",
    "FlowsStream",
    "ProspectsStream",
    "TasksStream",
    "UsersStream",
]
