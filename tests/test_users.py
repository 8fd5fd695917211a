"""``legalbot users``: accounts with Argon2id password hashes, roles and scope checks, tokens shown once."""

from __future__ import annotations

import json

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlalchemy import select

from bot.auth import hash_secret
from bot.bureau.passwords import WeakPasswordError, check_strength, verify_password
from bot.cli import cli
from bot.ledger.tables import ApiToken, User


@pytest.fixture
def env(settings, monkeypatch, roster):
    for key, value in {
        "LEGALBOT_DATABASE_URL": settings.database_url,
        "LEGALBOT_SECRET_KEY": "test-secret",
        "LEGALBOT_INSTANCE_DIR": str(settings.instance_dir),
        "LEGALBOT_MODEL_DIR": str(settings.model_dir),
    }.items():
        monkeypatch.setenv(key, value)
    return roster


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input)


def user(services, username: str) -> User:
    with services.sessions() as session:
        return session.scalar(select(User).where(User.username == username))


def test_add_a_bureau_and_a_town_user(env):
    result = invoke(
        "users",
        "add",
        "bureau.zhang",
        "--role",
        "bureau",
        "--county",
        "示范县",
        "--name",
        "张科长",
        "--openid",
        "oBureauZhang",
        "--password-stdin",
        input="Hedong-2026-secret\n",
    )
    assert result.exit_code == 0, result.output
    assert "县司法局" in result.output
    stored = user(env, "bureau.zhang")
    assert stored.password_hash.startswith("$argon2id$") and "Hedong" not in stored.password_hash
    assert PasswordHasher().verify(stored.password_hash, "Hedong-2026-secret")
    assert stored.role == "bureau" and stored.town_id is None and stored.openid == "oBureauZhang"

    result = invoke(
        "users",
        "add",
        "town.li",
        "--role",
        "town",
        "--county",
        "示范县",
        "--town",
        "城关镇",
        input="Chengguan-2026!\nChengguan-2026!\n",
    )
    assert result.exit_code == 0, result.output
    assert user(env, "town.li").town.name == "城关镇"

    listed = json.loads(invoke("users", "list", "--json").output)
    assert [(u["username"], u["role"], u["town"]) for u in listed] == [
        ("bureau.zhang", "bureau", None),
        ("town.li", "town", "城关镇"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["user1", "--role", "bureau", "--county", "没有县"], "花名册里没有"),
        (["user2", "--role", "town", "--county", "示范县"], "--town"),
        (["user3", "--role", "town", "--county", "示范县", "--town", "东关镇"], "没有“东关镇”"),
        (["user4", "--role", "bureau", "--county", "示范县", "--town", "城关镇"], "不用指定 --town"),
        (["a", "--role", "bureau", "--county", "示范县"], "用户名"),
    ],
)
def test_add_refuses_what_does_not_fit_the_roster(env, args, message):
    result = invoke("users", "add", *args, "--password-stdin", input="Hedong-2026-secret\n")
    assert result.exit_code != 0 and message in result.output


def test_weak_passwords_and_duplicate_names_are_refused(env):
    weak = invoke(
        "users", "add", "bureau.w", "--role", "bureau", "--county", "示范县", "--password-stdin", input="12345678\n"
    )
    assert weak.exit_code != 0 and "至少 10 位" in weak.output
    with pytest.raises(WeakPasswordError):
        check_strength("abcdefghijkl")
    invoke("users", "add", "bureau.w", "--role", "bureau", "--county", "示范县", "--no-password")
    again = invoke("users", "add", "bureau.w", "--role", "bureau", "--county", "示范县", "--no-password")
    assert again.exit_code != 0 and "已存在" in again.output
    assert user(env, "bureau.w").password_hash is None
    assert not verify_password(None, "anything-at-all-1")


def test_token_is_printed_once_and_only_its_hash_is_stored(env):
    invoke("users", "add", "bureau.zhang", "--role", "bureau", "--county", "示范县", "--no-password")
    result = CliRunner().invoke(cli, ["users", "token", "bureau.zhang", "--name", "统计报表"])
    assert result.exit_code == 0
    token = result.stdout.strip()
    assert token.startswith("lbt_") and len(token) > 40
    with env.sessions() as session:
        stored = session.scalar(select(ApiToken))
        assert stored.token_hash == hash_secret(token) and stored.name == "统计报表"
    missing = invoke("users", "token", "nobody")
    assert missing.exit_code != 0 and "users list" in missing.output


def test_passwd_and_disable(env, client):
    invoke("users", "add", "bureau.zhang", "--role", "bureau", "--county", "示范县", "--no-password")
    assert invoke("users", "passwd", "bureau.zhang", "--password-stdin", input="New-pass-2026x\n").exit_code == 0
    assert verify_password(user(env, "bureau.zhang").password_hash, "New-pass-2026x")
    token = CliRunner().invoke(cli, ["users", "token", "bureau.zhang"]).stdout.strip()
    assert client.get("/api/stats", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    result = invoke("users", "disable", "bureau.zhang")
    assert result.exit_code == 0 and "撤销令牌 1 个" in result.output
    assert client.get("/api/stats", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert not user(env, "bureau.zhang").active
