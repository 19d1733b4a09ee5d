"""Test topics removed from the shared local broker once their test is done.

The broker of ``scripts/infra`` keeps every topic on disk for the whole run; a test that produces
thousands of events under a prefix of its own deletes them afterwards, so the broker's state (and
what it writes as it changes) stays small.
"""

from __future__ import annotations

from confluent_kafka.admin import AdminClient


def delete_topics(bootstrap: str, prefix: str) -> None:
    """Delete every topic whose name starts with ``prefix`` (a test's own prefix)."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    names = [name for name in admin.list_topics(timeout=10).topics if name.startswith(prefix)]
    if not names:
        return
    for future in admin.delete_topics(names, operation_timeout=10).values():
        future.result()
