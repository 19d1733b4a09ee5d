import ipaddress
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, model_validator

ConditionType = Literal["API", "APPLICATION", "IP", "IPRANGE", "USER"]


def _address(value: Any, name: str) -> str:
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError as exc:
        raise ValueError(f"{name} is not an IP address: {value!r}") from exc


class BlockingCondition(BaseModel):
    model_config = ConfigDict(extra="ignore")

    conditionId: str | None = None
    conditionType: ConditionType
    conditionValue: Any
    conditionStatus: bool = True

    @model_validator(mode="after")
    def _value_fits_type(self) -> Self:
        value = self.conditionValue
        if self.conditionType == "IP":
            if not isinstance(value, dict) or "fixedIp" not in value:
                raise ValueError("an IP condition's value is {fixedIp, invert}")
            self.conditionValue = {
                "fixedIp": _address(value["fixedIp"], "fixedIp"),
                "invert": bool(value.get("invert")),
            }
        elif self.conditionType == "IPRANGE":
            if not isinstance(value, dict) or "startingIp" not in value or "endingIp" not in value:
                raise ValueError("an IPRANGE condition's value is {startingIp, endingIp, invert}")
            start, end = _address(value["startingIp"], "startingIp"), _address(value["endingIp"], "endingIp")
            first, last = ipaddress.ip_address(start), ipaddress.ip_address(end)
            if first.version != last.version or int(first) > int(last):
                raise ValueError("startingIp and endingIp must be of one IP version, in order")
            self.conditionValue = {"startingIp": start, "endingIp": end, "invert": bool(value.get("invert"))}
        else:
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"a {self.conditionType} condition's value is a non-empty string")
            if self.conditionType == "APPLICATION" and ":" not in value:
                raise ValueError("an APPLICATION condition's value is owner:applicationName")
            if self.conditionType == "API" and not value.startswith("/"):
                raise ValueError("an API condition's value is the API's context, e.g. /pizzashack/1.0.0")
            self.conditionValue = value.strip()
        return self

    def value_key(self) -> str:
        value = self.conditionValue
        if isinstance(value, dict):
            return "|".join(f"{k}={value[k]}" for k in sorted(value))
        return str(value)


class BlockingConditionStatus(BaseModel):
    conditionId: str | None = None
    conditionStatus: bool


class BlockingConditionList(BaseModel):
    count: int
    list: list[BlockingCondition]
