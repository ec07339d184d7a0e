"""Users and the roles they hold in each company."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from paybot.store.models import User, UserRole


class UserRepository:
    """Users and their roles; a user found by Slack id comes with their roles, kept for the
    rest of the unit of work (almost every use case asks for them next)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._roles: dict[int, dict[int, set[str]]] = {}  # user id -> company id -> roles

    def find(self, slack_user_id: str, slack_team_id: str | None = None) -> list[tuple[int, str]]:
        """(id, name) of users with this Slack user id (in this team, when given). A user added
        without a team (a one-workspace install, from the CLI) is found from any team."""
        if slack_team_id:
            rows = self._session.execute(
                _USER_IN_TEAM, {"slack_user_id": slack_user_id, "slack_team_id": slack_team_id}
            )
        else:
            rows = self._session.execute(_USER, {"slack_user_id": slack_user_id})
        names: dict[int, str] = {}
        for row in rows:
            names[row.id] = row.name
            roles = self._roles.setdefault(row.id, {})
            if row.role is not None:
                roles.setdefault(row.company_id, set()).add(row.role)
        return list(names.items())

    def upsert(self, slack_team_id: str, slack_user_id: str, name: str) -> int:
        user = self._session.scalar(
            select(User).where(
                User.slack_team_id == slack_team_id, User.slack_user_id == slack_user_id
            )
        )
        if user is None:
            user = User(slack_team_id=slack_team_id, slack_user_id=slack_user_id, name=name)
            self._session.add(user)
        else:
            user.name = name
        self._session.flush()
        return user.id

    def rename(self, user_id: int, name: str) -> None:
        self._session.execute(update(User).where(User.id == user_id).values(name=name))

    def roles(self, user_id: int, company_id: int) -> set[str]:
        return set(self.roles_by_company(user_id).get(company_id, ()))

    def roles_by_company(self, user_id: int) -> dict[int, set[str]]:
        """Company id -> the user's roles there, for every company where they have one."""
        if user_id not in self._roles:
            found: dict[int, set[str]] = {}
            for company_id, role in self._session.execute(_ROLES, {"user_id": user_id}):
                found.setdefault(company_id, set()).add(role)
            self._roles[user_id] = found
        return {company: set(roles) for company, roles in self._roles[user_id].items()}

    def set_roles(self, user_id: int, company_id: int, roles: Iterable[str]) -> set[str]:
        """Gives the user exactly these roles; returns the roles taken away."""
        wanted = set(roles)
        removed = self.roles(user_id, company_id) - wanted
        if removed:
            self._session.execute(
                delete(UserRole).where(
                    UserRole.user_id == user_id,
                    UserRole.company_id == company_id,
                    UserRole.role.in_(removed),
                )
            )
            self._roles.pop(user_id, None)
        self.add_roles(user_id, company_id, wanted)
        return removed

    def members(self, company_id: int) -> list[tuple[int, str, str, str]]:
        """(user id, team, Slack user id, name) of everyone with a role in the company."""
        query = (
            select(User.id, User.slack_team_id, User.slack_user_id, User.name)
            .where(User.id.in_(select(UserRole.user_id).where(UserRole.company_id == company_id)))
            .order_by(User.name, User.id)
        )
        return [(row[0], row[1], row[2], row[3]) for row in self._session.execute(query)]

    def add_roles(self, user_id: int, company_id: int, roles: Iterable[str]) -> set[str]:
        """Adds the roles the user lacks; returns the ones that were new."""
        new = set(roles) - self.roles(user_id, company_id)
        for role in sorted(new):
            self._session.add(UserRole(user_id=user_id, company_id=company_id, role=role))
        self._session.flush()
        self._roles.pop(user_id, None)
        return new


# Statements every click runs, built once: composing one costs more than running it.
_USER = (
    select(User.id, User.name, UserRole.company_id, UserRole.role)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .where(User.slack_user_id == bindparam("slack_user_id"))
)
_USER_IN_TEAM = _USER.where(
    or_(User.slack_team_id == bindparam("slack_team_id"), User.slack_team_id == "")
)
_ROLES = select(UserRole.company_id, UserRole.role).where(UserRole.user_id == bindparam("user_id"))
