"""WSO2 4.3's default scope-to-role mapping (tenant-conf.json ``RESTAPIScopes``)."""

ADMIN = "admin"
CREATOR = "Internal/creator"
PUBLISHER = "Internal/publisher"
SUBSCRIBER = "Internal/subscriber"
DEVOPS = "Internal/devops"
EVERYONE = "Internal/everyone"

_publisher_view = [ADMIN, CREATOR, PUBLISHER, DEVOPS]
_creator = [ADMIN, CREATOR]
_publisher = [ADMIN, PUBLISHER]
_subscriber = [ADMIN, SUBSCRIBER]
_admin = [ADMIN]

DEFAULT_SCOPES: dict[str, list[str]] = {
    # Publisher
    "apim:api_view": _publisher_view,
    "apim:api_create": _creator,
    "apim:api_manage": _creator,
    "apim:api_delete": _creator,
    "apim:api_publish": _publisher,
    "apim:api_import_export": _admin,
    "apim:api_product_import_export": _admin,
    "apim:api_generate_key": _publisher_view,
    "apim:document_create": _creator,
    "apim:document_manage": _creator,
    "apim:subscription_view": [ADMIN, CREATOR, PUBLISHER],
    "apim:subscription_block": _publisher,
    "apim:subscription_manage": _publisher,
    "apim:mediation_policy_view": _publisher_view,
    "apim:mediation_policy_create": _creator,
    "apim:mediation_policy_manage": _creator,
    "apim:common_operation_policy_view": _publisher_view,
    "apim:common_operation_policy_manage": _admin,
    "apim:gateway_policy_view": [ADMIN, PUBLISHER, DEVOPS],
    "apim:gateway_policy_manage": [ADMIN, PUBLISHER],
    "apim:shared_scope_manage": _creator,
    "apim:client_certificates_view": _publisher_view,
    "apim:client_certificates_add": _creator,
    "apim:ep_certificates_view": _publisher_view,
    "apim:ep_certificates_add": _creator,
    "apim:threat_protection_policy_manage": _creator,
    "apim:pub_alert_manage": [ADMIN, CREATOR, PUBLISHER],
    "apim:tier_view": [ADMIN, CREATOR, PUBLISHER, SUBSCRIBER],
    "apim:publisher_settings": [ADMIN, CREATOR, PUBLISHER, DEVOPS],
    "apim:comment_view": [ADMIN, CREATOR, PUBLISHER],
    "apim:comment_write": [ADMIN, CREATOR, PUBLISHER],
    # Developer portal
    "apim:subscribe": [ADMIN, SUBSCRIBER, DEVOPS],
    "apim:app_manage": [ADMIN, SUBSCRIBER, DEVOPS],
    "apim:sub_manage": [ADMIN, SUBSCRIBER, DEVOPS],
    "apim:store_settings": [ADMIN, SUBSCRIBER],
    "apim:sub_alert_manage": _subscriber,
    "apim:app_import_export": _admin,
    "apim:api_key": [ADMIN, SUBSCRIBER, DEVOPS],
    # Admin portal
    "apim:admin": _admin,
    "apim:tier_manage": _admin,
    "apim:admin_tier_view": _admin,
    "apim:admin_tier_manage": _admin,
    "apim:bl_view": _admin,
    "apim:bl_manage": _admin,
    "apim:policies_import_export": _admin,
    "apim:environment_read": _admin,
    "apim:environment_manage": _admin,
    "apim:api_workflow_view": _admin,
    "apim:api_workflow_approve": _admin,
    "apim:admin_operations": _admin,
    "apim:api_category": _admin,
    "apim:keymanagers_manage": _admin,
    "apim:scope_manage": _admin,
    "apim:tenantInfo": _admin,
    "apim:admin_settings": _admin,
    "apim:admin_alert_manage": _admin,
    "apim:tenant_theme_manage": _admin,
    "apim:app_owner_change": _admin,
    "apim:admin_application_view": _admin,
    "apim:api_provider_change": _admin,
    "apim:bot_data": _admin,
    "apim:monetization_usage_publish": _admin,
}
