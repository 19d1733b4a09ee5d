"""Write each event producer's ``event_schemas.json`` from its ``event_catalog.CATALOG``
(``make asyncapi-schemas``); with ``--check``, write nothing and exit 1 if one is stale.

The platform's AsyncAPI document is built from these files (``apim_common.events.asyncapi``), so
the Publisher describes every service's events without importing another service."""

from __future__ import annotations

import argparse
import importlib
import sys

from apim_common.events.asyncapi import PRODUCERS, contribution, rendered, schemas_file


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is stale, write nothing")
    args = parser.parse_args()
    stale = []
    for producer, package in PRODUCERS.items():
        catalog = importlib.import_module(f"{package}.event_catalog").CATALOG
        path = schemas_file(package)
        assert path is not None, f"{package} is not installed"
        text = rendered(contribution(producer, catalog))
        if path.is_file() and path.read_text() == text:
            continue
        stale.append(str(path))
        if not args.check:
            path.write_text(text)
    for name in stale:
        print(("stale: " if args.check else "wrote ") + name)
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
