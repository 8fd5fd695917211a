import json
from tests.stats_ledger import generate, NOW
from bot.stats.periods import parse_week
from bot.stats.scope import Scope
from bot.stats.report import build_stats

def test_smoke(roster):
    services = roster
    generate(services)
    with services.sessions() as s:
        st = build_stats(s, parse_week("2026-W47"), Scope(), services.settings, NOW)
    print(json.dumps({k: st[k] for k in ("total","by_route","summary","alerts","legal_aid")}, ensure_ascii=False, indent=1, default=str))
    print(json.dumps(st["by_adviser"], ensure_ascii=False, default=str)[:1500])
    print(json.dumps(st["onsite"], ensure_ascii=False, default=str)[:800])
