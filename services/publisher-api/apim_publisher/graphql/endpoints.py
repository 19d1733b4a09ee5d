"""GraphQL APIs: schema validation and import, the schema of an API, and its complexity values."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response

from apim_common.db import SessionDep
from apim_common.errors import BadRequest
from apim_publisher import scopes
from apim_publisher.apis import service as apis
from apim_publisher.apis import views
from apim_publisher.apis.endpoints import created
from apim_publisher.apis.models import API
from apim_publisher.apis.schemas import APIPublic
from apim_publisher.common import check_if_match, not_modified
from apim_publisher.definitions.sources import OptionalFile, OptionalForm, read_request
from apim_publisher.graphql import service
from apim_publisher.graphql.schemas import (
    GraphQLInfo,
    GraphQLQueryComplexityInfo,
    GraphQLSchemaPublic,
    GraphQLSchemaType,
    GraphQLSchemaTypeList,
    GraphQLValidationResponse,
)

router = APIRouter(tags=["GraphQL Schema", "GraphQL Policies", "Validation", "APIs"])


def _schema_public(api: API, text: str) -> GraphQLSchemaPublic:
    return GraphQLSchemaPublic(
        name=f"{api.provider}--{api.name.replace(' ', '')}{api.version}.graphql", schemaDefinition=text
    )


def _definition_type(type_: str | None) -> None:
    if type_ is not None and type_.upper() != "GRAPHQL":
        raise BadRequest(f"type: this operation imports a GraphQL schema, not a {type_} definition")


@router.post("/apis/validate-graphql-schema", response_model=GraphQLValidationResponse)
async def validate_graphql_schema(
    request: Request, principal: scopes.ApiCreate, file: OptionalFile = None
) -> GraphQLValidationResponse:
    raw = await read_request(request, file)
    schema, errors = await service.check(raw)
    if schema is None:
        return GraphQLValidationResponse(isValid=False, errorMessage="; ".join(errors))
    operations = [op.model_dump(mode="json", exclude_none=True) for op in service.operations(schema, [])]
    name = file.filename if file is not None and file.filename else "schema.graphql"
    return GraphQLValidationResponse(
        isValid=True,
        errorMessage="",
        graphQLInfo=GraphQLInfo(
            operations=operations,
            graphQLSchema=GraphQLSchemaPublic(name=name, schemaDefinition=schema.text),
        ),
    )


@router.post("/apis/import-graphql-schema", status_code=201, response_model=APIPublic)
async def import_graphql_schema(
    request: Request,
    response: Response,
    session: SessionDep,
    principal: scopes.ApiCreate,
    file: OptionalFile = None,
    additionalProperties: OptionalForm = None,
    type: OptionalForm = None,
) -> APIPublic:
    _definition_type(type)
    raw = await read_request(request, file)
    schema = await service.load_valid(raw)
    api = await service.import_api(session, principal, schema, additionalProperties)
    return created(response, api)


@router.get("/apis/{apiId}/graphql-schema", response_model=GraphQLSchemaPublic)
async def get_graphql_schema(
    apiId: str,
    response: Response,
    session: SessionDep,
    principal: scopes.DefinitionRead,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
) -> GraphQLSchemaPublic | Response:
    api = await apis.get(session, principal, apiId)
    text = service.schema_text(api)
    tag = views.etag(api)
    if (unchanged := not_modified(if_none_match, tag)) is not None:
        return unchanged
    response.headers["ETag"] = tag
    return _schema_public(api, text)


@router.put("/apis/{apiId}/graphql-schema", response_model=GraphQLSchemaPublic)
async def put_graphql_schema(
    apiId: str,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: scopes.ApiCreate,
    schemaDefinition: OptionalForm = None,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> GraphQLSchemaPublic:
    api = await apis.get(session, principal, apiId)
    check_if_match(if_match, views.etag(api))
    service.require_graphql(api)
    if not schemaDefinition:
        raise BadRequest("schemaDefinition: give the schema's SDL text")
    raw = await read_request(request, None, inline=schemaDefinition)
    schema = await service.load_valid(raw)
    api = await service.set_schema(session, principal, api, schema)
    response.headers["ETag"] = views.etag(api)
    return _schema_public(api, schema.text)


@router.get("/apis/{apiId}/graphql-policies/complexity", response_model=GraphQLQueryComplexityInfo)
async def get_graphql_complexity(
    apiId: str, session: SessionDep, principal: scopes.GraphQLPolicyRead
) -> GraphQLQueryComplexityInfo:
    return service.complexity(await apis.get(session, principal, apiId))


@router.put("/apis/{apiId}/graphql-policies/complexity", response_model=GraphQLQueryComplexityInfo)
async def put_graphql_complexity(
    apiId: str, body: GraphQLQueryComplexityInfo, session: SessionDep, principal: scopes.ApiCreate
) -> GraphQLQueryComplexityInfo:
    api = await apis.get(session, principal, apiId)
    api = await service.set_complexity(session, principal, api, body)
    return service.complexity(api)


@router.get("/apis/{apiId}/graphql-policies/complexity/types", response_model=GraphQLSchemaTypeList)
async def get_graphql_types(
    apiId: str, session: SessionDep, principal: scopes.GraphQLPolicyRead
) -> GraphQLSchemaTypeList:
    found = await service.types(await apis.get(session, principal, apiId))
    return GraphQLSchemaTypeList(
        typeList=[GraphQLSchemaType(type=name, fieldList=fields) for name, fields in found.items()]
    )
