from pydantic import BaseModel, Field

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class AlertType(BaseModel):
    id: str | None = None
    name: str


class AlertTypesList(BaseModel):
    count: int
    alerts: list[AlertType]


class AlertsSubscription(BaseModel):
    alerts: list[AlertType] = Field(default_factory=list)
    emailList: list[str] = Field(default_factory=list)


class BotDetectionAlertSubscription(BaseModel):
    uuid: str | None = None
    email: str = Field(pattern=EMAIL)


class BotDetectionAlertSubscriptionList(BaseModel):
    count: int
    list: list[BotDetectionAlertSubscription]
