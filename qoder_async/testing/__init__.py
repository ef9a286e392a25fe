"""Test support: a fake Qoder Cloud Agents API server on loopback, with fault injection.

Example::

    from qoder_async.testing import FakeQoderServer, Fault

    async with FakeQoderServer() as server:
        server.inject(Fault.status_error(503), times=1)
        async with server.client() as client:
            await client.sessions.create(agent="agent_1", environment_id="env_1")
        assert len(server.requests) == 2      # one 503, one retry
"""

from ._faults import Fault
from ._server import DEFAULT_TOKEN, FakeQoderServer, RecordedRequest

__all__ = ["DEFAULT_TOKEN", "FakeQoderServer", "Fault", "RecordedRequest"]
