"""HTTP access to the target: recorded exchanges, curl reproduction, timeouts and bounded backoff."""

from conformance.client.http import Api, Exchange, Transport

__all__ = ["Api", "Exchange", "Transport"]
