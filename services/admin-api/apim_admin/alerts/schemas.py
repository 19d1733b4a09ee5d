from typing import Annotated

from pydantic import BaseModel, Field

from apim_common.inputs import CheckedName

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
# Checked when received: an address in emailList was checked only in the service, a bad one as a 500.
Email = Annotated[CheckedName, Field(pattern=EMAIL)]


class AlertType(BaseModel):
    id: str | None = None
    name: str


class AlertTypesList(BaseModel):
    count: int
    alerts: list[AlertType]


class AlertsSubscription(BaseModel):
    alerts: list[AlertType] = Field(default_factory=list)
    emailList: list[Email] = Field(default_factory=list)


class BotDetectionAlertSubscription(BaseModel):
    uuid: str | None = None
    email: Email


class BotDetectionAlertSubscriptionList(BaseModel):
    count: int
    list: list[BotDetectionAlertSubscription]
