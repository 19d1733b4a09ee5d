"""The API catalog: a read model of the publisher's APIs and API products, built from its events."""
