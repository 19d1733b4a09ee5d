"""Named dependencies of the endpoints: the long-lived clients made in the app's lifespan."""

from typing import Annotated

from fastapi import Depends, Request

from apim_devportal.catalog.search import SearchIndex
from apim_devportal.keys.client import KeyManagerClient
from apim_devportal.settings import Settings

PREFIX = "/api/am/devportal/v3"


def _key_manager(request: Request) -> KeyManagerClient:
    client: KeyManagerClient = request.app.state.key_manager
    return client


def _search_index(request: Request) -> SearchIndex:
    index: SearchIndex = request.app.state.search_index
    return index


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


KeyManagerDep = Annotated[KeyManagerClient, Depends(_key_manager)]
SearchIndexDep = Annotated[SearchIndex, Depends(_search_index)]
SettingsDep = Annotated[Settings, Depends(_settings)]
