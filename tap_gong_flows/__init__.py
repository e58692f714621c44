"""tap-gong-flows: a Singer tap for Gong Engage flows."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tap-gong-flows")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
