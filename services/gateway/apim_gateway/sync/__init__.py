"""Keeping the runtime model current: the snapshot on start, then events."""

from apim_gateway.sync.control_plane import ControlPlane, ControlPlaneError
from apim_gateway.sync.syncer import GATEWAY_TOPICS, Syncer

__all__ = ["GATEWAY_TOPICS", "ControlPlane", "ControlPlaneError", "Syncer"]
