"""``python -m tap_gong_flows`` runs the tap."""

from tap_gong_flows.tap import TapGongFlows

TapGongFlows.cli()
