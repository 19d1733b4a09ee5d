"""Bot-detection data: calls to the gateways' bot traps, kept from their ``bot-detection.recorded``
events and listed at ``GET /bot-detection-data`` (WSO2's ``BotDetectionDataList``)."""
