"""fd-conformance: contract and conformance suite for the Future Demand Client API."""

__version__ = "0.1.0"
