"""Applications: the consumer's unit of subscriptions, keys and an application tier."""
