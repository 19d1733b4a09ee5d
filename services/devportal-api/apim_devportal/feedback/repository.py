from collections.abc import Sequence

from sqlalchemy import func, select

from apim_common.repository import Repository
from apim_devportal.feedback.models import Comment, Rating


class RatingRepository(Repository[Rating]):
    model = Rating

    async def of_api(self, api_id: str) -> Sequence[Rating]:
        return await self.all(self.select().where(Rating.api_id == api_id).order_by(Rating.rated_by))

    async def by_user(self, api_id: str, tenant: str, username: str) -> Rating | None:
        return await self.one_or_none(
            self.select().where(Rating.api_id == api_id, Rating.tenant == tenant, Rating.rated_by == username)
        )


class CommentRepository(Repository[Comment]):
    model = Comment

    async def page_of(
        self, api_id: str, parent_id: str | None, *, limit: int, offset: int
    ) -> tuple[Sequence[Comment], int]:
        statement = self.select().where(Comment.api_id == api_id)
        statement = statement.where(
            Comment.parent_id.is_(None) if parent_id is None else Comment.parent_id == parent_id
        )
        return await self.page(statement.order_by(Comment.created_at.desc()), limit=limit, offset=offset)

    async def reply_count(self, parent_id: str) -> int:
        total = await self.session.scalar(select(func.count()).where(Comment.parent_id == parent_id))
        return int(total or 0)
