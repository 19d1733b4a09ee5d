from collections.abc import Iterable, Sequence

from sqlalchemy import func, select

from apim_common.repository import Repository
from apim_devportal.applications.models import Application
from apim_devportal.subscriptions.models import Subscription


class ApplicationRepository(Repository[Application]):
    model = Application

    async def of_tenant(self, tenant: str) -> Sequence[Application]:
        return await self.all(self.select().where(Application.tenant == tenant).order_by(Application.name))

    async def by_name(self, tenant: str, owner: str, name: str) -> Application | None:
        return await self.one_or_none(
            self.select().where(
                Application.tenant == tenant,
                Application.owner == owner,
                func.lower(Application.name) == name.lower(),
            )
        )

    async def subscription_counts(self, ids: Iterable[str]) -> dict[str, int]:
        wanted = list(ids)
        if not wanted:
            return {}
        statement = (
            select(Subscription.application_id, func.count())
            .where(Subscription.application_id.in_(wanted))
            .group_by(Subscription.application_id)
        )
        return {row[0]: int(row[1]) for row in (await self.session.execute(statement)).all()}

    async def everything(self) -> Sequence[Application]:
        return await self.all(self.select().order_by(Application.tenant, Application.name))
