"""Shared steps for the bureau dashboard tests: staff users made as `legalbot users add` makes them,
login through the real form with the session's CSRF token, and bearer tokens."""

from __future__ import annotations

from bot.bureau.users import add_user, issue_token
from bot.bureau.users import user_by_username as find_user

PASSWORD = "Hedong-2026-secret"


def make_user(
    services,
    username: str,
    role: str = "bureau",
    county: str = "示范县",
    town: str | None = None,
    openid: str | None = None,
    password: str | None = PASSWORD,
) -> int:
    with services.sessions.begin() as session:
        user = add_user(
            session,
            username=username,
            role=role,
            county=county,
            town=town,
            password=password,
            openid=openid,
            now=services.clock.now(),
            display_name=f"{username} 同志",
        )
        return user.id


def token_for(services, username: str) -> str:
    with services.sessions.begin() as session:
        return issue_token(session, find_user(session, username), "test", services.clock.now())


def csrf(client) -> str:
    with client.session_transaction() as session:
        return session["csrf_token"]


def login(client, username: str, password: str = PASSWORD):
    """The login form, as a person fills it in."""
    client.get("/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf(client)})


def logged_in(client, username: str, password: str = PASSWORD):
    resp = login(client, username, password)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/bureau/"), resp.get_data(as_text=True)
    return resp
