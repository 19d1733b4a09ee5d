from pydantic import BaseModel, Field


class APICategory(BaseModel):
    id: str | None = None
    name: str = Field(min_length=1, max_length=255, pattern=r"^[^~!@#;:%^*()+={}|\\<>\"',&/$\[\]]+$")
    description: str | None = Field(default=None, max_length=1024)
    numberOfAPIs: int = 0


class APICategoryList(BaseModel):
    count: int
    list: list[APICategory]
