"""`yuqing users`: user accounts and API keys, from the server's own terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from yuqing.cli.app import ConfigOption, app, database_or_exit, fail, settings_or_exit
from yuqing.records import Role
from yuqing.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

T = TypeVar("T")

users_app = typer.Typer(help="Create and manage users and API keys.", no_args_is_help=True)
app.add_typer(users_app, name="users")

RoleOption = Annotated[Role, typer.Option(
    help="admin, pr (舆情专员), handler (责任部门), supervisor (督查专班) or viewer")]
DepartmentOption = Annotated[str, typer.Option(help="the department code (required for handlers), e.g. customer")]
PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="read the password from standard input")]


def _password(from_stdin: bool) -> tuple[str, bool]:
    """The password to set and whether it was generated (and so must be shown)."""
    from alerts.users.service import generate_password

    if from_stdin:
        return sys.stdin.readline().rstrip("\n"), False
    if sys.stdin.isatty():
        return typer.prompt("password", hide_input=True, confirmation_prompt=True), False
    return generate_password(), True


def in_transaction(settings: Settings, work: Callable[[Session, datetime], T]) -> T:
    """Run `work(session, now)` in one transaction; a service error is one line and exit code 2."""
    from alerts.db import now_shanghai
    from alerts.errors import ServiceError

    db = database_or_exit(settings)
    try:
        with db.write() as session:
            return work(session, now_shanghai())
    except ServiceError as exc:
        fail(exc.message)
    finally:
        db.close()


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="login name: letters, digits, '.', '_' or '-'")],
    role: RoleOption = Role.viewer,
    department: DepartmentOption = "",
    display_name: Annotated[str, typer.Option(help="name shown to colleagues")] = "",
    email: Annotated[str, typer.Option(help="e-mail address")] = "",
    password_stdin: PasswordStdin = False,
    config: ConfigOption = None,
) -> None:
    """Add a user (the first one should be an admin). Without a terminal or --password-stdin,
    a random password is generated and printed once."""
    from alerts.users.service import create_user

    settings = settings_or_exit(config)
    password, generated = _password(password_stdin)
    user = in_transaction(settings, lambda session, now: create_user(
        session, username=username, password=password, role=role, department=department, display_name=display_name,
        email=email, settings=settings, now=now))
    typer.echo(f"created user '{user.username}' with role {user.role}"
               + (f" in department {user.department}" if user.department else ""))
    if generated:
        typer.echo(f"password (shown once): {password}")


@users_app.command("list")
def users_list(config: ConfigOption = None) -> None:
    """List users with their role, department and status (never their passwords)."""
    from alerts.users.service import list_users

    db = database_or_exit(settings_or_exit(config))
    with db.read() as session:
        for user in list_users(session):
            state = "active" if user.active else "disabled"
            typer.echo(f"{user.username:<20} {user.role:<10} {user.department or '-':<12} {state}")
    db.close()


@users_app.command("password")
def users_password(username: Annotated[str, typer.Argument(help="the user")], password_stdin: PasswordStdin = False,
                   config: ConfigOption = None) -> None:
    """Set a user's password (ends their sessions, lifts a lockout)."""
    from alerts.users.service import set_password

    settings = settings_or_exit(config)
    password, generated = _password(password_stdin)
    in_transaction(settings, lambda session, now: set_password(session, username=username, password=password,
                                                              settings=settings, now=now))
    typer.echo(f"password of '{username}' changed" + (f"; new password (shown once): {password}" if generated else ""))


@users_app.command("disable")
def users_disable(username: Annotated[str, typer.Argument(help="the user")], config: ConfigOption = None) -> None:
    """Disable a user: they cannot log in and their sessions end."""
    from alerts.users.service import update_user

    settings = settings_or_exit(config)
    in_transaction(settings, lambda session, now: update_user(session, username=username, settings=settings,
                                                              active=False))
    typer.echo(f"user '{username}' disabled")


@users_app.command("apikey")
def users_apikey(
    name: Annotated[str, typer.Argument(help="what the key is for, e.g. site-monitor")],
    role: RoleOption = Role.viewer,
    department: DepartmentOption = "",
    config: ConfigOption = None,
) -> None:
    """Create an API key for an integration; the key is printed once and only its hash is kept."""
    from alerts.users.service import create_api_key

    settings = settings_or_exit(config)
    row, key = in_transaction(settings, lambda session, now: create_api_key(
        session, name=name, role=role, department=department, settings=settings, created_by="cli", now=now))
    typer.echo(f"API key '{row.name}' ({row.role}); use it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'")
    typer.echo(f"key (shown once): {key}")
