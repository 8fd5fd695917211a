"""CI step: audit the pinned dependencies (constraints.txt) for known vulnerabilities, and fail loudly.

1. pip-audit, with PyPI's vulnerability data for each pinned release (``/pypi/<name>/<version>/json``).
2. Where pip-audit could not get that data (CI's registry proxy serves only ``/pypi/<name>/json``, so
   pip-audit skips every package and would report "No known vulnerabilities found"), the same PyPI data is
   read for the project's newest release, which is exact when the pin *is* the newest release.
3. A pin that neither step could audit (a newer release is out, so only that one's data is readable) fails
   the run unless .ci/audit-exceptions.txt lists it with a reason, or the release that superseded it is less
   than GRACE_DAYS old: the registry mirror gains releases between a commit and its CI run, and a pin that
   was the newest a few days ago gets a loud warning and that long to be bumped, not a red build.
   The listed ones and the ones in their grace period are printed on every run.

A vulnerability, an unreachable registry or an answer that cannot be read fails the run (exit 1).
Usage: python .ci/audit_deps.py constraints.txt
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from packaging.version import InvalidVersion, Version

PROJECT_URL = "https://pypi.org/pypi/{name}/json"
EXCEPTIONS = Path(__file__).with_name("audit-exceptions.txt")
TIMEOUT = 30
GRACE_DAYS = 21


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            if not sep:
                sys.exit(f"AUDIT FAILED: {path}: '{line}' is not pinned with ==; regenerate it with pip freeze")
            pins[canonical(name)] = version.strip()
    return pins


def read_exceptions() -> dict[tuple[str, str], str]:
    found = {}
    if EXCEPTIONS.exists():
        for line in EXCEPTIONS.read_text().splitlines():
            spec, _, reason = line.partition("#")
            if spec.strip():
                name, _, version = spec.strip().partition("==")
                found[(canonical(name), version.strip())] = reason.strip()
    return found


def run_pip_audit(requirements: Path) -> tuple[dict[str, list[dict]], set[str]]:
    """{package: vulnerabilities} for what pip-audit audited, and the packages it had to skip."""
    command = [sys.executable, "-m", "pip_audit", "--disable-pip", "--no-deps", "-r", str(requirements)]
    result = subprocess.run(
        [*command, "--format", "json", "--progress-spinner", "off"], capture_output=True, text=True, check=False
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        tail = "\n".join(result.stderr.strip().splitlines()[-12:])
        sys.exit(f"AUDIT FAILED: pip-audit gave no report (exit {result.returncode}); is PyPI reachable?\n{tail}")
    audited, skipped = {}, set()
    for dep in report["dependencies"]:
        if "skip_reason" in dep:
            skipped.add(canonical(dep["name"]))
        else:
            audited[canonical(dep["name"])] = dep.get("vulns", [])
    return audited, skipped


def newest_release_data(name: str) -> dict:
    """PyPI's JSON for the project (its newest release, with that release's vulnerabilities)."""
    try:
        with urllib.request.urlopen(PROJECT_URL.format(name=name), timeout=TIMEOUT) as response:
            return json.load(response)
    except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as exc:
        sys.exit(f"AUDIT FAILED: cannot read PyPI's data for {name} ({exc}); check the network, then run again")


def superseded_at(data: dict, pinned: str) -> datetime | None:
    """When the first release newer than the pin was uploaded (None when the registry does not say)."""
    try:
        pin = Version(pinned)
    except InvalidVersion:
        return None
    times = []
    for version, files in data.get("releases", {}).items():
        try:
            newer = Version(version) > pin and not Version(version).is_prerelease
        except InvalidVersion:
            continue
        stamps = [f["upload_time_iso_8601"] for f in files if f.get("upload_time_iso_8601") and not f.get("yanked")]
        if newer and stamps:
            times.append(min(datetime.fromisoformat(t.replace("Z", "+00:00")) for t in stamps))
    return min(times) if times else None


def newer_than(version: str, other: str) -> bool:
    try:
        return Version(version) > Version(other)
    except InvalidVersion:
        return False


def main(requirements: Path) -> int:
    pins = read_pins(requirements)
    audited, skipped = run_pip_audit(requirements)
    findings = {name: vulns for name, vulns in audited.items() if vulns}
    unaudited = []
    for name in sorted(skipped):
        data = newest_release_data(name)
        if data["info"]["version"] != pins[name]:
            unaudited.append((name, pins[name], data["info"]["version"], superseded_at(data, pins[name])))
            continue
        audited[name] = [v for v in data.get("vulnerabilities") or [] if not v.get("withdrawn")]
        if audited[name]:
            findings[name] = audited[name]
    print(
        f"pip-audit audited {len(pins) - len(skipped)} of {len(pins)} pins from PyPI's per-release data; "
        f"{len(skipped) - len(unaudited)} more from the newest-release data; {len(unaudited)} could not be audited"
    )
    exceptions = read_exceptions()
    failed = False
    for name, vulns in sorted(findings.items()):
        failed = True
        for v in vulns:
            fixes = ", ".join(v.get("fix_versions") or v.get("fixed_in") or []) or "no fixed release yet"
            print(f"VULNERABLE {name}=={pins[name]}: {v['id']} {' '.join(v.get('aliases', []))} — fixed in {fixes}")
    now = datetime.now(UTC)
    for name, version, newest, since in unaudited:
        reason = exceptions.get((name, version))
        if reason is None and newer_than(version, newest):
            print(
                f"NOT YET AUDITED {name}=={version}: PyPI's data still names {newest} as the newest release; "
                "the pin is audited once that data catches up (usually within hours)"
            )
        elif reason is None and since is not None and now - since < timedelta(days=GRACE_DAYS):
            due = (since + timedelta(days=GRACE_DAYS)).date()
            print(
                f"NOT YET AUDITED {name}=={version} (newest {newest}, out since {since.date()}): bump the pin "
                f"before {due}; after that this fails the audit"
            )
        elif reason is None:
            failed = True
            print(
                f"NOT AUDITED {name}=={version} (newest {newest}): PyPI's data for this release is unreachable; "
                f"upgrade the pin, or list it in {EXCEPTIONS.name} with a reason after checking it by hand"
            )
        else:
            print(f"NOT AUDITED (listed exception) {name}=={version}: {reason}")
    stale = [f"{n}=={v}" for (n, v) in exceptions if pins.get(n) != v]
    if stale:
        failed = True
        print(f"STALE exceptions in {EXCEPTIONS.name} (remove them): {', '.join(stale)}")
    if failed:
        print("AUDIT FAILED: fix the pins in pyproject.toml, reinstall, and regenerate constraints.txt")
        return 1
    print("audit clean: no known vulnerabilities in the audited pins")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "constraints.txt")))
