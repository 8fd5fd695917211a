"""The CI audit's policy for pins it cannot audit: how old the release that superseded a pin is decides
between a warning (the mirror moved on after the commit) and a failure (the pin was left behind)."""

import importlib.util
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / ".ci" / "audit_deps.py"


@pytest.fixture(scope="module")
def audit():
    spec = importlib.util.spec_from_file_location("audit_deps", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def registry(newest: str, uploads: dict[str, datetime]) -> dict:
    """PyPI's project JSON, reduced to what the audit reads."""
    return {
        "info": {"version": newest},
        "vulnerabilities": [],
        "releases": {v: [{"upload_time_iso_8601": t.isoformat().replace("+00:00", "Z")}] for v, t in uploads.items()},
    }


def run(audit, monkeypatch, tmp_path, capsys, pin: str, data: dict) -> tuple[int, str]:
    constraints = tmp_path / "constraints.txt"
    constraints.write_text(f"demo-pkg=={pin}\n")
    monkeypatch.setattr(audit, "run_pip_audit", lambda _: ({}, {"demo-pkg"}))
    monkeypatch.setattr(audit, "newest_release_data", lambda _: data)
    monkeypatch.setattr(audit, "EXCEPTIONS", tmp_path / "none.txt")
    code = audit.main(constraints)
    return code, capsys.readouterr().out


def test_a_pin_superseded_days_ago_warns_with_a_due_date(audit, monkeypatch, tmp_path, capsys):
    now = datetime.now(UTC)
    data = registry("1.1.0", {"1.0.0": now - timedelta(days=90), "1.1.0": now - timedelta(days=3)})
    code, out = run(audit, monkeypatch, tmp_path, capsys, "1.0.0", data)
    assert code == 0
    assert "NOT YET AUDITED demo-pkg==1.0.0 (newest 1.1.0" in out
    assert f"before {(now - timedelta(days=3) + timedelta(days=audit.GRACE_DAYS)).date()}" in out


def test_a_pin_left_behind_past_the_grace_period_fails(audit, monkeypatch, tmp_path, capsys):
    now = datetime.now(UTC)
    old = now - timedelta(days=audit.GRACE_DAYS + 1)
    data = registry("1.2.0", {"1.0.0": now - timedelta(days=90), "1.1.0": old, "1.2.0": now - timedelta(days=1)})
    code, out = run(audit, monkeypatch, tmp_path, capsys, "1.0.0", data)
    assert code == 1
    assert "NOT AUDITED demo-pkg==1.0.0 (newest 1.2.0)" in out
    assert "AUDIT FAILED" in out


def test_a_pin_newer_than_the_registry_data_waits_for_it(audit, monkeypatch, tmp_path, capsys):
    data = registry("1.0.0", {"1.0.0": datetime.now(UTC) - timedelta(days=30)})
    code, out = run(audit, monkeypatch, tmp_path, capsys, "1.0.1", data)
    assert code == 0
    assert "still names 1.0.0 as the newest" in out


def test_a_vulnerability_in_the_newest_release_fails(audit, monkeypatch, tmp_path, capsys):
    data = registry("1.0.0", {"1.0.0": datetime.now(UTC) - timedelta(days=30)})
    data["vulnerabilities"] = [{"id": "PYSEC-0000-1", "aliases": ["CVE-0000-1"], "fixed_in": ["1.0.1"]}]
    code, out = run(audit, monkeypatch, tmp_path, capsys, "1.0.0", data)
    assert code == 1
    assert "VULNERABLE demo-pkg==1.0.0: PYSEC-0000-1 CVE-0000-1 — fixed in 1.0.1" in out
