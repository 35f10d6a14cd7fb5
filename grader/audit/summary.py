"""The audit in a few terminal lines: total burn, each account that bills (most costly first) with
what it left, what could not be read, and the verdict behind the exit status."""

from __future__ import annotations

from ..terminal import inert
from .text import money

MOST_SHOWN_PER_ACCOUNT = 4


def summary(audit: dict) -> str:
    totals = audit["totals"]
    lines = [f"Cleanup audit of {totals['accounts']} account(s); regions: {audit['regions']}",
             f"  burn {money(totals['cost_per_hour'], '/hour')} "
             f"({money(totals['cost_per_month'], '/month')}) from {totals['billing_leftovers']} billing "
             f"leftover(s) in {totals['billing_accounts']} account(s); "
             f"{totals['leftovers']} leftover(s) in all"]
    for account in audit["accounts"]:
        who = inert(f"{account['student']} ({account['account_id'] or account['source']['description']})")
        if account["failure"]:
            lines.append(f"  could not read {who}: {inert(account['failure'])}")
            continue
        for part in account["unknown"]:
            lines.append(inert(f"  unknown in {who}: {part['what']} in {part['region']} {part['reason']}"))
        billing = [leftover for leftover in account["leftovers"] if leftover["bills"] is not False]
        if billing:
            shown = "; ".join(inert(f"{item['type']} {item['name']} ({item['region']}, {item['details']}, "
                                        f"{money(item['cost_per_hour'], '/h')})")
                              for item in billing[:MOST_SHOWN_PER_ACCOUNT])
            more = (f"; and {len(billing) - MOST_SHOWN_PER_ACCOUNT} more"
                    if len(billing) > MOST_SHOWN_PER_ACCOUNT else "")
            lines.append(f"  {money(account['cost_per_hour'], '/h'):>12}  {who}: {shown}{more}")
    for entry in audit["not_audited"]:
        lines.append(inert(f"  on the roster, not audited: {entry['student']} ({entry['account']})"))
    verdict = audit["exit"]
    lines.append(f"not clean (exit {verdict['code']}): " + "; ".join(verdict["reasons"]) if verdict["reasons"]
                 else "clean: every account was read and nothing bills")
    return "\n".join(lines)
