"""``legalbot users add|list|token|passwd|disable``: bureau and town office (司法所) accounts."""

from __future__ import annotations

import json
import sys

import click

from bot.bureau.passwords import WeakPasswordError
from bot.bureau.users import ROLES, UserError, add_user, issue_token, list_users, revoke_tokens, set_password
from bot.bureau.users import user_by_username as find_user
from bot.cli import cli, command_services, database_errors


@cli.group()
def users() -> None:
    """Dashboard and API users of the bureau and the town justice offices."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise click.ClickException("标准输入里没有密码：请用 echo '密码' | legalbot users … --password-stdin")
        return line
    return click.prompt("密码", hide_input=True, confirmation_prompt="再输入一次")


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(sorted(ROLES)), required=True, help="bureau = 县司法局, town = 司法所.")
@click.option("--county", required=True, help="County as in the roster, e.g. 示范县.")
@click.option("--town", help="Town of a town office user, e.g. 城关镇.")
@click.option("--name", "display_name", help="Name shown in the dashboard (default: the username).")
@click.option("--openid", help="WeChat openid: receives report notices and one-time login links.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (scripts).")
@click.option("--no-password", is_flag=True, help="No password: log in only with one-time WeChat links.")
def users_add(username, role, county, town, display_name, openid, password_stdin, no_password) -> None:
    """Create a user; the password is asked twice unless given on stdin."""
    services = command_services()
    password = None if no_password else _read_password(password_stdin)
    try:
        with database_errors(), services.sessions.begin() as session:
            user = add_user(
                session,
                username=username,
                role=role,
                county=county,
                town=town,
                display_name=display_name,
                password=password,
                openid=openid,
                now=services.clock.now(),
            )
            where = f"{user.county}{user.town.name if user.town else ''}"
    except (UserError, WeakPasswordError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"已创建用户 {username}（{ROLES[role]}，{where}）。")


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
def users_list(as_json: bool) -> None:
    """All users with their role, scope and whether they can log in."""
    services = command_services()
    with database_errors(), services.sessions() as session:
        rows = [
            {
                "username": u.username,
                "name": u.display_name,
                "role": u.role,
                "county": u.county,
                "town": u.town.name if u.town else None,
                "active": u.active,
                "password": u.password_hash is not None,
                "wechat": u.openid is not None,
                "subscribed_reports": u.subscribed_reports,
            }
            for u in list_users(session)
        ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        state = "" if r["active"] else "（已停用）"
        click.echo(f"{r['username']:<20} {ROLES[r['role']]:<6} {r['county']}{r['town'] or ''} {r['name']}{state}")


@users.command("token")
@click.argument("username")
@click.option("--name", "token_name", default="api", show_default=True, help="What the token is for.")
def users_token(username: str, token_name: str) -> None:
    """Make a bearer token for GET /api/stats; it is printed once and cannot be shown again."""
    services = command_services()
    with database_errors(), services.sessions.begin() as session:
        user = _existing(session, username)
        token = issue_token(session, user, token_name, services.clock.now())
    click.echo(token)
    click.echo("请妥善保存：令牌只显示这一次。用法：Authorization: Bearer <令牌>", err=True)


@users.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
def users_passwd(username: str, password_stdin: bool) -> None:
    """Set a new password."""
    services = command_services()
    password = _read_password(password_stdin)
    try:
        with database_errors(), services.sessions.begin() as session:
            set_password(session, _existing(session, username), password)
    except WeakPasswordError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"已更新 {username} 的密码。")


@users.command("disable")
@click.argument("username")
def users_disable(username: str) -> None:
    """Stop a user: no login, tokens revoked, no report notices (the audit trail stays)."""
    services = command_services()
    with database_errors(), services.sessions.begin() as session:
        user = _existing(session, username)
        user.active, user.subscribed_reports = False, False
        revoked = revoke_tokens(session, user)
    click.echo(f"已停用 {username}，撤销令牌 {revoked} 个。")


def _existing(session, username: str):
    user = find_user(session, username)
    if user is None:
        raise click.ClickException(f"没有用户 {username}：用 `legalbot users list` 查看现有用户")
    return user
