"""The Publisher v4 scopes; an endpoint admits a token holding any one of those it lists."""

from typing import Annotated, Any

from fastapi import Depends

from apim_common.security import Principal, require_scopes

API_VIEW = "apim:api_view"
API_CREATE = "apim:api_create"
API_PUBLISH = "apim:api_publish"
API_MANAGE = "apim:api_manage"
API_DELETE = "apim:api_delete"
API_IMPORT_EXPORT = "apim:api_import_export"
API_LIST_VIEW = "apim:api_list_view"
API_DEFINITION_VIEW = "apim:api_definition_view"
API_PRODUCT_IMPORT_EXPORT = "apim:api_product_import_export"
DOCUMENT_CREATE = "apim:document_create"
DOCUMENT_MANAGE = "apim:document_manage"
PUBLISHER_SETTINGS = "apim:publisher_settings"


def _any_of(*scopes: str) -> Any:
    return Annotated[Principal, Depends(require_scopes(*scopes))]


# Who may call what, as WSO2's Publisher v4 definition lists it (any one scope is enough).
ApiList = _any_of(API_VIEW, API_MANAGE, API_IMPORT_EXPORT, API_LIST_VIEW)
ApiRead = _any_of(API_VIEW, API_MANAGE, API_IMPORT_EXPORT, API_PRODUCT_IMPORT_EXPORT)
ApiCreate = _any_of(API_CREATE, API_MANAGE)
ApiUpdate = _any_of(API_CREATE, API_MANAGE, API_PUBLISH)
ApiDelete = _any_of(API_DELETE, API_MANAGE, API_IMPORT_EXPORT)
ApiViewOrManage = _any_of(API_VIEW, API_MANAGE)
DefinitionRead = _any_of(API_VIEW, API_MANAGE, API_DEFINITION_VIEW)
ApiExport = _any_of(API_VIEW, API_PUBLISH, API_CREATE, API_IMPORT_EXPORT, API_MANAGE)
LifecycleChange = _any_of(API_PUBLISH, API_MANAGE, API_IMPORT_EXPORT)
LifecycleRead = _any_of(API_VIEW, API_PUBLISH, API_CREATE, API_MANAGE)
LifecycleHistoryRead = _any_of(API_VIEW, API_PUBLISH, API_MANAGE)
RevisionList = _any_of(API_VIEW, API_CREATE, API_MANAGE, API_PUBLISH, API_IMPORT_EXPORT)
RevisionRead = _any_of(API_VIEW, API_CREATE, API_MANAGE, API_PUBLISH)
RevisionWrite = _any_of(API_CREATE, API_MANAGE, API_PUBLISH, API_IMPORT_EXPORT)
Deploy = _any_of(API_CREATE, API_MANAGE, API_PUBLISH)
DocumentRead = _any_of(API_VIEW, API_MANAGE, DOCUMENT_MANAGE)
DocumentCreate = _any_of(API_CREATE, API_MANAGE, DOCUMENT_CREATE, DOCUMENT_MANAGE)
DocumentEdit = _any_of(API_CREATE, API_MANAGE, DOCUMENT_MANAGE)
SettingsRead = _any_of(API_VIEW, PUBLISHER_SETTINGS)
