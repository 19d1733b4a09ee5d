"""The gateway's request path: a ``Pipeline`` calling one module per step, in this order.

``route`` -> ``deny`` (API, client address) -> ``lifecycle`` -> ``authenticate`` -> ``authorize``
-> ``subscription`` -> ``deny`` (application, user) -> ``ratelimits`` -> ``policies`` (request
flow) -> ``backend`` -> ``respond`` (response flow, the answer; the fault flow on an error)
-> ``observe`` (metrics, analytics, trace).

The order is written out once, in ``pipeline.py``. Bodies stream both ways unless a policy needs
them whole (``body.py``). Every shared service reaches the steps through ``Services``.
"""

from apim_gateway.request.pipeline import Pipeline
from apim_gateway.request.services import Services

__all__ = ["Pipeline", "Services"]
