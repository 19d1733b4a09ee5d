"""SOAP-to-REST APIs: a WSDL read with zeep becomes REST resources, an OpenAPI definition and one
mapping per operation that the gateway applies; ``/apis/{apiId}/resource-policies`` shows and
edits those mappings."""
