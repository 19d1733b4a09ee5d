"""``/t/{tenant}/api/am/devportal/v3/...`` is the same request as the base path with
``X-WSO2-Tenant: {tenant}``, as in WSO2's tenant-qualified URLs."""

from starlette.types import ASGIApp, Receive, Scope, Send


class TenantPathMiddleware:
    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path.startswith("/t/"):
                tenant, _, rest = path[3:].partition("/")
                rest = "/" + rest
                if tenant and (rest == self.prefix or rest.startswith(self.prefix + "/")):
                    headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"x-wso2-tenant"]
                    headers.append((b"x-wso2-tenant", tenant.encode()))
                    scope = {**scope, "path": rest, "raw_path": rest.encode(), "headers": headers}
        await self.app(scope, receive, send)
