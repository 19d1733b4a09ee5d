from apim_common.events.bot_detection import BotDetectionData
from apim_common.pagination import Page

# The list's items are the event's data as the gateway sent it: WSO2's ``BotDetectionData``.
BotDetectionDataList = Page[BotDetectionData]

__all__ = ["BotDetectionData", "BotDetectionDataList"]
