"""``python -m apim_key_manager [migrate]``: serve the service alone, or migrate its database."""

from apim_key_manager.server import main

if __name__ == "__main__":
    raise SystemExit(main())
