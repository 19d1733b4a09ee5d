"""SCIM 2.0 /scim2/Users and /scim2/Groups, for administrators of a tenant."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import BadRequest, Forbidden
from apim_key_manager.context import KeyManager, KeyManagerDep
from apim_key_manager.db import SessionDep
from apim_key_manager.users import scim
from apim_key_manager.users.auth import Caller, caller
from apim_key_manager.users.models import Group, User
from apim_key_manager.users.repository import GroupRepository, UserRepository
from apim_key_manager.users.schemas import GroupCreate, MultiValue, PatchOperation, PatchRequest, UserCreate
from apim_key_manager.users.service import login_of, resolve_login

router = APIRouter(prefix="/scim2", tags=["SCIM 2.0"])

StartIndex = Annotated[int, Query(alias="startIndex", ge=1)]
Count = Annotated[int, Query(ge=0, le=1000)]
_ROLE_VALUE = re.compile(r'^roles\[value eq "?([^"\]]+)"?\]$', re.IGNORECASE)
_MEMBER_VALUE = re.compile(r'^members\[value eq "?([^"\]]+)"?\]$', re.IGNORECASE)


async def _admin(km: KeyManager, session: AsyncSession, request: Request) -> Caller:
    who = await caller(km, session, request)
    if not who.is_admin:
        raise Forbidden("Managing users needs an administrator (role admin or scope apim:admin)")
    return who


def _location(request: Request, kind: str, ident: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/scim2/{kind}/{ident}"


async def _user_resource(session: AsyncSession, request: Request, user: User) -> dict[str, Any]:
    repo = UserRepository(session)
    resource: dict[str, Any] = {
        "schemas": [scim.USER_SCHEMA],
        "id": user.id,
        "userName": login_of(user),
        "name": {"givenName": user.given_name, "familyName": user.family_name},
        "emails": [{"value": e, "primary": i == 0} for i, e in enumerate(user.emails)],
        "active": user.active,
        "roles": [{"value": r} for r in await repo.direct_roles(user.id)],
        "groups": [{"value": g.id, "display": g.display_name} for g in await repo.groups_of(user.id)],
        "meta": {
            "resourceType": "User",
            "created": user.created_at.isoformat(),
            "lastModified": user.updated_at.isoformat(),
            "location": _location(request, "Users", user.id),
        },
    }
    return resource


async def _group_resource(session: AsyncSession, request: Request, group: Group) -> dict[str, Any]:
    members = await GroupRepository(session).members(group.id)
    return {
        "schemas": [scim.GROUP_SCHEMA],
        "id": group.id,
        "displayName": group.display_name,
        "members": [{"value": u.id, "display": login_of(u)} for u in members],
        "meta": {
            "resourceType": "Group",
            "created": group.created_at.isoformat(),
            "lastModified": group.updated_at.isoformat(),
            "location": _location(request, "Groups", group.id),
        },
    }


def _role_values(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    roles = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("value"), str):
            roles.append(item["value"])
        elif isinstance(item, str):
            roles.append(item)
        else:
            raise BadRequest("roles must be a list of {value: role}")
    return roles


# Users


@router.post("/Users", status_code=201, summary="Create a user")
async def create_user(
    body: UserCreate, request: Request, session: SessionDep, km: KeyManagerDep
) -> JSONResponse:
    admin = await _admin(km, session, request)
    username, tenant = await resolve_login(session, body.userName, admin.tenant)
    if tenant != admin.tenant and not admin.is_super_admin:
        raise Forbidden(f"An administrator of {admin.tenant} cannot create users of {tenant}")
    user = await km.users.create(
        session,
        tenant=tenant,
        username=username,
        password=body.password,
        roles=[r.value for r in body.roles],
        given_name=body.name.givenName if body.name else None,
        family_name=body.name.familyName if body.name else None,
        emails=body.email_values(),
        active=body.active,
    )
    resource = await _user_resource(session, request, user)
    return scim.scim_json(resource, 201, {"Location": resource["meta"]["location"]})


@router.get("/Users", summary="List users")
async def list_users(
    request: Request,
    session: SessionDep,
    km: KeyManagerDep,
    filter: str | None = None,
    start_index: StartIndex = 1,
    count: Count = 100,
) -> JSONResponse:
    admin = await _admin(km, session, request)
    users = list(await UserRepository(session).all(UserRepository(session).in_tenant(admin.tenant)))
    if filter:
        attribute, operator, value = scim.parse_filter(filter, {"userName", "id"})
        users = [
            u
            for u in users
            if scim.matches(login_of(u) if attribute == "userName" else u.id, operator, value)
        ]
    page = users[start_index - 1 : start_index - 1 + count]
    resources = [await _user_resource(session, request, u) for u in page]
    return scim.scim_json(scim.list_response(resources, len(users), start_index))


@router.get("/Users/{user_id}", summary="Get a user")
async def get_user(user_id: str, request: Request, session: SessionDep, km: KeyManagerDep) -> JSONResponse:
    admin = await _admin(km, session, request)
    user = await km.users.get(session, admin.tenant, user_id)
    return scim.scim_json(await _user_resource(session, request, user))


async def _apply_user_operation(
    km: KeyManager, session: AsyncSession, user: User, op: PatchOperation
) -> None:
    kind = op.op.lower()
    path = (op.path or "").strip()
    repo = UserRepository(session)
    if kind == "remove":
        match = _ROLE_VALUE.match(path)
        current = await repo.direct_roles(user.id)
        if match:
            await km.users.set_roles(session, user, [r for r in current if r != match.group(1)])
        elif path.lower() == "roles":
            await km.users.set_roles(session, user, [])
        else:
            raise BadRequest(f"Cannot remove {path or 'without a path'}")
        return
    values: dict[str, Any] = {path: op.value} if path else (op.value if isinstance(op.value, dict) else {})
    if not values:
        raise BadRequest("An add or replace operation needs a path or an object value")
    for attribute, value in values.items():
        name = attribute.lower()
        if name == "roles":
            roles = _role_values(value)
            if kind == "add":
                roles = [*await repo.direct_roles(user.id), *roles]
            await km.users.set_roles(session, user, roles)
        elif name == "password" and isinstance(value, str):
            await km.users.set_password(session, user, value)
        elif name == "active" and isinstance(value, bool):
            await km.users.set_active(session, user, value)
        elif name == "name" and isinstance(value, dict):
            user.given_name = value.get("givenName", user.given_name)
            user.family_name = value.get("familyName", user.family_name)
        elif name == "name.givenname" and isinstance(value, str):
            user.given_name = value
        elif name == "name.familyname" and isinstance(value, str):
            user.family_name = value
        elif name == "emails" and isinstance(value, list):
            emails = [e["value"] if isinstance(e, dict) else str(e) for e in value]
            user.emails = [*user.emails, *emails] if kind == "add" else emails
        elif name in ("schemas", "id", "meta", "username"):
            continue
        else:
            raise BadRequest(f"Attribute {attribute} cannot be changed this way")


@router.patch("/Users/{user_id}", summary="Change a user")
async def patch_user(
    user_id: str, body: PatchRequest, request: Request, session: SessionDep, km: KeyManagerDep
) -> JSONResponse:
    admin = await _admin(km, session, request)
    user = await km.users.get(session, admin.tenant, user_id)
    for op in body.Operations:
        await _apply_user_operation(km, session, user, op)
    await session.flush()
    return scim.scim_json(await _user_resource(session, request, user))


@router.delete("/Users/{user_id}", status_code=204, summary="Delete a user")
async def delete_user(user_id: str, request: Request, session: SessionDep, km: KeyManagerDep) -> Response:
    admin = await _admin(km, session, request)
    user = await km.users.get(session, admin.tenant, user_id)
    if (user.username, user.tenant) == (admin.username, admin.tenant):
        raise BadRequest("An administrator cannot delete their own account")
    await km.users.delete(session, user)
    return Response(status_code=204)


# Groups


async def _member_ids(km: KeyManager, session: AsyncSession, members: list[MultiValue]) -> list[str]:
    return [m.value for m in members]


@router.post("/Groups", status_code=201, summary="Create a group; its name is a role of its members")
async def create_group(
    body: GroupCreate, request: Request, session: SessionDep, km: KeyManagerDep
) -> JSONResponse:
    admin = await _admin(km, session, request)
    group = await km.users.create_group(
        session, admin.tenant, body.displayName, await _member_ids(km, session, body.members)
    )
    resource = await _group_resource(session, request, group)
    return scim.scim_json(resource, 201, {"Location": resource["meta"]["location"]})


@router.get("/Groups", summary="List groups")
async def list_groups(
    request: Request,
    session: SessionDep,
    km: KeyManagerDep,
    filter: str | None = None,
    start_index: StartIndex = 1,
    count: Count = 100,
) -> JSONResponse:
    admin = await _admin(km, session, request)
    groups = list(await GroupRepository(session).all(GroupRepository(session).in_tenant(admin.tenant)))
    if filter:
        attribute, operator, value = scim.parse_filter(filter, {"displayName", "id"})
        groups = [
            g
            for g in groups
            if scim.matches(g.display_name if attribute == "displayName" else g.id, operator, value)
        ]
    page = groups[start_index - 1 : start_index - 1 + count]
    resources = [await _group_resource(session, request, g) for g in page]
    return scim.scim_json(scim.list_response(resources, len(groups), start_index))


@router.get("/Groups/{group_id}", summary="Get a group")
async def get_group(group_id: str, request: Request, session: SessionDep, km: KeyManagerDep) -> JSONResponse:
    admin = await _admin(km, session, request)
    group = await km.users.get_group(session, admin.tenant, group_id)
    return scim.scim_json(await _group_resource(session, request, group))


def _member_values(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(i, dict) and isinstance(i.get("value"), str) for i in items):
        raise BadRequest("members must be a list of {value: userId}")
    return [i["value"] for i in items]


@router.patch("/Groups/{group_id}", summary="Change a group's name or members")
async def patch_group(
    group_id: str, body: PatchRequest, request: Request, session: SessionDep, km: KeyManagerDep
) -> JSONResponse:
    admin = await _admin(km, session, request)
    group = await km.users.get_group(session, admin.tenant, group_id)
    repo = GroupRepository(session)
    for op in body.Operations:
        kind, path = op.op.lower(), (op.path or "").strip()
        members = await repo.member_ids(group.id)
        if kind == "remove":
            match = _MEMBER_VALUE.match(path)
            if match:
                await km.users.set_members(session, group, [m for m in members if m != match.group(1)])
            elif path.lower() == "members":
                removed = set(_member_values(op.value)) if op.value is not None else set(members)
                await km.users.set_members(session, group, [m for m in members if m not in removed])
            else:
                raise BadRequest(f"Cannot remove {path or 'without a path'}")
            continue
        values: dict[str, Any] = (
            {path: op.value} if path else (op.value if isinstance(op.value, dict) else {})
        )
        for attribute, value in values.items():
            if attribute.lower() == "members":
                wanted = _member_values(value)
                await km.users.set_members(session, group, [*members, *wanted] if kind == "add" else wanted)
            elif attribute.lower() == "displayname" and isinstance(value, str):
                await km.users.rename_group(session, group, value)
            elif attribute.lower() not in ("schemas", "id", "meta"):
                raise BadRequest(f"Attribute {attribute} cannot be changed this way")
    await session.flush()
    return scim.scim_json(await _group_resource(session, request, group))


@router.delete("/Groups/{group_id}", status_code=204, summary="Delete a group")
async def delete_group(group_id: str, request: Request, session: SessionDep, km: KeyManagerDep) -> Response:
    admin = await _admin(km, session, request)
    group = await km.users.get_group(session, admin.tenant, group_id)
    await km.users.delete_group(session, group)
    return Response(status_code=204)
