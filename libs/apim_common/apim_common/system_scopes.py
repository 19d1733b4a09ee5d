"""The resident role -> scope map a tenant starts with (WSO2's system scopes), as our own data.

The one source of these defaults: admin-api answers it from ``GET /system-scopes`` until the
tenant changes it, and the key manager grants scopes from it until admin-api's
``system-scopes.updated`` event replaces it. Each scope lists the roles allowed to hold it.
``admin`` holds every ``apim:*`` scope; creators design APIs, publishers run their lifecycle,
subscribers use the Developer Portal. As in WSO2's ``tenant-conf.json``, ``apim:tier_view`` is for
the publishing roles: the Developer Portal's throttling-policy reads need no scope.
"""

from __future__ import annotations

ADMIN = "admin"
PUBLISHER = "Internal/publisher"
CREATOR = "Internal/creator"
SUBSCRIBER = "Internal/subscriber"
EVERYONE = "Internal/everyone"
RESIDENT_ROLES = (ADMIN, PUBLISHER, CREATOR, SUBSCRIBER, EVERYONE)

DEFAULT_SCOPE = "default"

_PUBLISHING = (PUBLISHER, CREATOR)

# scope -> roles besides admin that may hold it.
_SCOPES: dict[str, tuple[str, ...]] = {
    # Publisher portal: read
    "apim:api_view": _PUBLISHING,
    "apim:api_list_view": _PUBLISHING,
    "apim:api_definition_view": _PUBLISHING,
    "apim:tier_view": _PUBLISHING,
    "apim:subscription_view": _PUBLISHING,
    "apim:common_operation_policy_view": _PUBLISHING,
    "apim:mediation_policy_view": _PUBLISHING,
    "apim:client_certificates_view": _PUBLISHING,
    "apim:ep_certificates_view": _PUBLISHING,
    "apim:gateway_policy_view": _PUBLISHING,
    "apim:publisher_settings": _PUBLISHING,
    "apim:pub_alert_manage": _PUBLISHING,
    "apim:comment_view": _PUBLISHING,
    "apim:comment_write": _PUBLISHING,
    "apim:api_generate_key": _PUBLISHING,
    # Publisher portal: design (creator)
    "apim:api_create": (CREATOR,),
    "apim:api_delete": (CREATOR,),
    "apim:document_create": (CREATOR,),
    "apim:document_manage": (CREATOR,),
    "apim:mediation_policy_create": (CREATOR,),
    "apim:mediation_policy_manage": (CREATOR,),
    "apim:api_mediation_policy_manage": (CREATOR,),
    "apim:client_certificates_add": (CREATOR,),
    "apim:client_certificates_update": (CREATOR,),
    "apim:ep_certificates_add": (CREATOR,),
    "apim:ep_certificates_update": (CREATOR,),
    "apim:shared_scope_manage": (CREATOR,),
    # Publisher portal: lifecycle and subscriptions (publisher)
    "apim:api_publish": (PUBLISHER,),
    "apim:subscription_block": (PUBLISHER,),
    "apim:subscription_manage": (PUBLISHER,),
    # Publisher portal: admin only
    "apim:api_manage": (),
    "apim:api_import_export": (),
    "apim:api_product_import_export": (),
    "apim:comment_manage": (),
    "apim:common_operation_policy_manage": (),
    "apim:client_certificates_manage": (),
    "apim:ep_certificates_manage": (),
    "apim:gateway_policy_manage": (),
    "apim:threat_protection_policy_create": (),
    "apim:threat_protection_policy_manage": (),
    "apim:tier_manage": (),
    "apim:policies_import_export": (),
    # Service catalog (WSO2's own scope names): creators register services, publishers see them
    "service_catalog:service_view": _PUBLISHING,
    "service_catalog:service_write": (CREATOR,),
    # Developer portal (subscriber)
    "apim:subscribe": (SUBSCRIBER,),
    "apim:app_manage": (SUBSCRIBER,),
    "apim:sub_manage": (SUBSCRIBER,),
    "apim:api_key": (SUBSCRIBER,),
    "apim:store_settings": (SUBSCRIBER,),
    "apim:sub_alert_manage": (SUBSCRIBER,),
    "apim:app_import_export": (),
    # Admin portal: admin only
    "apim:admin": (),
    "apim:admin_operations": (),
    "apim:admin_settings": (),
    "apim:admin_tier_view": (),
    "apim:admin_tier_manage": (),
    "apim:admin_alert_manage": (),
    "apim:admin_application_view": (),
    "apim:api_category": (),
    "apim:api_provider_change": (),
    "apim:api_workflow_approve": (),
    "apim:api_workflow_view": (),
    "apim:app_owner_change": (),
    "apim:bl_manage": (),
    "apim:bl_view": (),
    "apim:bot_data": (),
    "apim:environment_manage": (),
    "apim:environment_read": (),
    "apim:keymanagers_manage": (),
    "apim:monetization_usage_publish": (),
    "apim:role_manage": (),
    "apim:scope_manage": (),
    "apim:tenant": (),
    "apim:tenantInfo": (),
    "apim:tenant_theme_manage": (),
    # Dynamic client registration
    "apim:dcr:app_manage": (),
}

DEFAULT_SCOPE_ROLES: dict[str, tuple[str, ...]] = {
    scope: (ADMIN, *roles) for scope, roles in sorted(_SCOPES.items())
}
