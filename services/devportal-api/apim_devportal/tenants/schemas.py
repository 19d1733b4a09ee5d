from pydantic import BaseModel


class TenantPublic(BaseModel):
    domain: str
    status: str
