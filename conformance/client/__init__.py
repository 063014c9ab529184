"""HTTP access to the target: recorded exchanges, curl reproduction, timeouts and bounded backoff."""

from conformance.client.http import OMIT, Api, Exchange, Transport, WriteBlocked

__all__ = ["OMIT", "Api", "Exchange", "Transport", "WriteBlocked"]
