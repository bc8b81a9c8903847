"""halab: a runnable local high-availability lab built from real services."""

__version__ = "0.1.0"
