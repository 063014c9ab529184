"""HTTP access to the target: recorded exchanges, curl reproduction, timeouts and bounded backoff."""

from conformance.client._budget import DOCUMENTED, RateBudget, RateFigures, budget_for
from conformance.client.http import OMIT, Api, Exchange, Transport, WriteBlocked

__all__ = [
    "DOCUMENTED", "OMIT", "Api", "Exchange", "RateBudget", "RateFigures", "Transport", "WriteBlocked",
    "budget_for",
]
