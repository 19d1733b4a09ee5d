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
GraphQLPolicyRead = _any_of(API_VIEW, API_CREATE, API_MANAGE, API_PUBLISH)

COMMON_POLICY_VIEW = "apim:common_operation_policy_view"
COMMON_POLICY_MANAGE = "apim:common_operation_policy_manage"
POLICIES_IMPORT_EXPORT = "apim:policies_import_export"
MEDIATION_POLICY_VIEW = "apim:mediation_policy_view"
MEDIATION_POLICY_CREATE = "apim:mediation_policy_create"
MEDIATION_POLICY_MANAGE = "apim:mediation_policy_manage"
API_MEDIATION_POLICY_MANAGE = "apim:api_mediation_policy_manage"
GATEWAY_POLICY_VIEW = "apim:gateway_policy_view"
GATEWAY_POLICY_MANAGE = "apim:gateway_policy_manage"

CommonPolicyRead = _any_of(COMMON_POLICY_VIEW, COMMON_POLICY_MANAGE, POLICIES_IMPORT_EXPORT)
CommonPolicyContent = _any_of(COMMON_POLICY_VIEW, COMMON_POLICY_MANAGE)
CommonPolicyCreate = _any_of(COMMON_POLICY_MANAGE)
CommonPolicyDelete = _any_of(COMMON_POLICY_MANAGE, POLICIES_IMPORT_EXPORT)
PoliciesImportExport = _any_of(POLICIES_IMPORT_EXPORT)
ApiPolicyRead = _any_of(
    API_VIEW, API_MANAGE, MEDIATION_POLICY_VIEW, MEDIATION_POLICY_MANAGE, API_MEDIATION_POLICY_MANAGE
)
ApiPolicyWrite = _any_of(
    API_MANAGE, MEDIATION_POLICY_CREATE, MEDIATION_POLICY_MANAGE, API_MEDIATION_POLICY_MANAGE
)
GatewayPolicyRead = _any_of(GATEWAY_POLICY_VIEW, GATEWAY_POLICY_MANAGE)
GatewayPolicyManage = _any_of(GATEWAY_POLICY_MANAGE)

API_GENERATE_KEY = "apim:api_generate_key"
PendingTasks = _any_of(API_MANAGE, API_PUBLISH)
ProductList = _any_of(API_VIEW, API_MANAGE)
ProductWrite = _any_of(API_PUBLISH, API_MANAGE)
ProductRead = _any_of(API_VIEW, API_MANAGE, API_PUBLISH, API_PRODUCT_IMPORT_EXPORT)
ProductDelete = _any_of(API_MANAGE, API_PUBLISH, API_PRODUCT_IMPORT_EXPORT)
ProductView = _any_of(API_VIEW, API_MANAGE, API_PUBLISH)
ProductLifecycleChange = _any_of(API_MANAGE, API_PUBLISH, API_PRODUCT_IMPORT_EXPORT)
ProductLifecycleState = _any_of(API_CREATE, API_MANAGE, API_PUBLISH)
ProductRevisionList = _any_of(API_VIEW, API_CREATE, API_MANAGE, API_PUBLISH, API_PRODUCT_IMPORT_EXPORT)
ProductRevisionRead = _any_of(API_VIEW, API_CREATE, API_MANAGE, API_PUBLISH)
ProductRevisionWrite = _any_of(API_CREATE, API_MANAGE, API_PUBLISH)
ProductUndeploy = _any_of(API_CREATE, API_MANAGE, API_PUBLISH, API_PRODUCT_IMPORT_EXPORT)
ProductExport = _any_of(API_VIEW, API_PRODUCT_IMPORT_EXPORT)

TIER_VIEW = "apim:tier_view"
TIER_MANAGE = "apim:tier_manage"
SHARED_SCOPE_MANAGE = "apim:shared_scope_manage"
SUBSCRIPTION_VIEW = "apim:subscription_view"
SUBSCRIPTION_MANAGE = "apim:subscription_manage"
SUBSCRIPTION_BLOCK = "apim:subscription_block"
CLIENT_CERTIFICATES_VIEW = "apim:client_certificates_view"
CLIENT_CERTIFICATES_ADD = "apim:client_certificates_add"
CLIENT_CERTIFICATES_UPDATE = "apim:client_certificates_update"
CLIENT_CERTIFICATES_MANAGE = "apim:client_certificates_manage"
EP_CERTIFICATES_VIEW = "apim:ep_certificates_view"
EP_CERTIFICATES_ADD = "apim:ep_certificates_add"
EP_CERTIFICATES_UPDATE = "apim:ep_certificates_update"
EP_CERTIFICATES_MANAGE = "apim:ep_certificates_manage"
ADMIN = "apim:admin"

TierRead = _any_of(API_VIEW, TIER_VIEW, TIER_MANAGE)
CreatorOrManager = _any_of(API_CREATE, API_MANAGE)
ViewCreateOrManage = _any_of(API_VIEW, API_CREATE, API_MANAGE)
SharedScopeRead = _any_of(API_VIEW, SHARED_SCOPE_MANAGE)
SharedScopeUsage = _any_of(API_VIEW, API_MANAGE, SHARED_SCOPE_MANAGE)
SharedScopeManage = _any_of(SHARED_SCOPE_MANAGE)
SubscriptionRead = _any_of(API_VIEW, SUBSCRIPTION_VIEW, SUBSCRIPTION_MANAGE)
SubscriptionBlock = _any_of(SUBSCRIPTION_BLOCK, SUBSCRIPTION_MANAGE)
SearchRead = _any_of(API_VIEW, API_MANAGE, API_IMPORT_EXPORT, API_PRODUCT_IMPORT_EXPORT)
Monetization = _any_of(API_MANAGE, API_PUBLISH)
MonetizationRead = _any_of(API_VIEW, API_MANAGE, API_PUBLISH)
GenerateKey = _any_of(API_GENERATE_KEY, API_MANAGE)
ApiImport = _any_of(ADMIN, API_IMPORT_EXPORT)
ProductImport = _any_of(API_PRODUCT_IMPORT_EXPORT)
DocumentValidate = _any_of(API_CREATE, API_MANAGE, DOCUMENT_CREATE, DOCUMENT_MANAGE)
ClientCertRead = _any_of(API_VIEW, API_MANAGE, CLIENT_CERTIFICATES_VIEW, CLIENT_CERTIFICATES_MANAGE)
ClientCertAdd = _any_of(API_CREATE, API_MANAGE, CLIENT_CERTIFICATES_ADD, CLIENT_CERTIFICATES_MANAGE)
ClientCertUpdate = _any_of(API_CREATE, API_MANAGE, CLIENT_CERTIFICATES_UPDATE, CLIENT_CERTIFICATES_MANAGE)
EndpointCertRead = _any_of(API_VIEW, API_MANAGE, EP_CERTIFICATES_VIEW, EP_CERTIFICATES_MANAGE)
EndpointCertAdd = _any_of(API_CREATE, API_MANAGE, EP_CERTIFICATES_ADD, EP_CERTIFICATES_MANAGE)
EndpointCertUpdate = _any_of(API_CREATE, API_MANAGE, EP_CERTIFICATES_UPDATE, EP_CERTIFICATES_MANAGE)

# The Service Catalog v1 (/api/am/service-catalog/v1), as WSO2 names its scopes.
SERVICE_VIEW = "service_catalog:service_view"
SERVICE_WRITE = "service_catalog:service_write"
ServiceRead = _any_of(SERVICE_VIEW, SERVICE_WRITE)
ServiceWrite = _any_of(SERVICE_WRITE)
