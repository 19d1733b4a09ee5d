"""SDK generation (WSO2's ``/sdk-gen/languages`` and ``/apis/{apiId}/sdks/{language}``)."""
