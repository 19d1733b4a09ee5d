from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, or_, select

from apim_admin.usage.models import KnownApi, KnownApplication, KnownKeyMapping, PolicyReference
from apim_common.repository import Repository


class PolicyReferenceRepository(Repository[PolicyReference]):
    model = PolicyReference

    async def replace(
        self, tenant: str, source_kind: str, source_id: str, refs: Iterable[tuple[str, str]]
    ) -> None:
        await self.session.execute(
            delete(PolicyReference).where(
                PolicyReference.source_kind == source_kind, PolicyReference.source_id == source_id
            )
        )
        for policy_type, name in set(refs):
            self.session.add(
                PolicyReference(
                    source_kind=source_kind,
                    source_id=source_id,
                    policy_type=policy_type,
                    policy_name=name,
                    tenant=tenant,
                )
            )
        await self.session.flush()

    async def count_users(self, tenant: str, policy_type: str, name: str) -> int:
        total = await self.session.scalar(
            select(func.count()).where(
                PolicyReference.tenant == tenant,
                PolicyReference.policy_type == policy_type,
                PolicyReference.policy_name == name,
            )
        )
        return int(total or 0)


class KnownApiRepository(Repository[KnownApi]):
    model = KnownApi

    async def using_key_manager(
        self, tenant: str, key_manager: str, *, limit: int, offset: int
    ) -> tuple[Sequence[KnownApi], int]:
        # An API without a key manager list accepts every one ("all").
        rows = await self.all(select(KnownApi).where(KnownApi.tenant == tenant).order_by(KnownApi.name))
        used = [
            a for a in rows if not a.key_managers or "all" in a.key_managers or key_manager in a.key_managers
        ]
        return used[offset : offset + limit], len(used)

    async def category_counts(self, tenant: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for api in await self.all(select(KnownApi).where(KnownApi.tenant == tenant)):
            for category in api.categories:
                counts[category] = counts.get(category, 0) + 1
        return counts


class KnownApplicationRepository(Repository[KnownApplication]):
    model = KnownApplication


class KnownKeyMappingRepository(Repository[KnownKeyMapping]):
    model = KnownKeyMapping

    async def applications_of(
        self, tenant: str, key_manager_names: Sequence[str], *, limit: int, offset: int
    ) -> tuple[list[tuple[str, KnownApplication | None]], int]:
        ids = (
            select(KnownKeyMapping.application_id)
            .where(
                KnownKeyMapping.tenant == tenant,
                or_(*(KnownKeyMapping.key_manager == n for n in key_manager_names)),
            )
            .distinct()
            .order_by(KnownKeyMapping.application_id)
        )
        all_ids = list((await self.session.execute(ids)).scalars().all())
        page = all_ids[offset : offset + limit]
        apps = {
            a.id: a
            for a in await self.session.scalars(select(KnownApplication).where(KnownApplication.id.in_(page)))
        }
        return [(i, apps.get(i)) for i in page], len(all_ids)

    async def count_for(self, tenant: str, key_manager_names: Sequence[str]) -> int:
        total = await self.session.scalar(
            select(func.count()).where(
                KnownKeyMapping.tenant == tenant,
                or_(*(KnownKeyMapping.key_manager == n for n in key_manager_names)),
            )
        )
        return int(total or 0)
