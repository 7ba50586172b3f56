"""CRM: sales teams, pipeline stages, lost reasons (``crm_team``, ``crm_stage``,
``crm_lost_reason``) and the leads (``crm_lead``)."""

from __future__ import annotations

import datetime as dt

from .generator import Generator
from .vocabulary import LOST_REASONS, STAGE_WON, STAGES


def sales_teams_and_stages(g: Generator) -> None:
    """Two sales teams per company (led by its first salesperson), the pipeline stages and
    the lost reasons."""
    team = g.table("crm_team", "id, name, company_id, user_id, active")
    tid = 0
    for c in g.companies:
        g.teams[c] = []
        for label in ("Direct Sales", "Online"):
            tid += 1
            leader = g.salespeople[c][0]
            team.add(tid, {"en_US": label, "de_DE": "Direktvertrieb" if tid % 2 else "Online"},
                     c, leader, True)  # fmt: skip
            g.teams[c].append(tid)
    stage = g.table("crm_stage", "id, name, sequence, is_won, fold, team_id")
    for i, (name, seq, won) in enumerate([*STAGES, STAGE_WON], start=1):
        stage.add(i, {"en_US": name}, seq, won, False, None)
    lost = g.table("crm_lost_reason", "id, name, active")
    for i, name in enumerate(LOST_REASONS, start=1):
        lost.add(i, {"en_US": name}, True)


def leads(g: Generator) -> None:
    """Leads and opportunities over two years: open, won (stage Won) or lost (inactive, with a
    reason); a made-up contact each."""
    r = g.rng
    lead = g.table(
        "crm_lead",
        "id, name, partner_id, company_id, user_id, team_id, stage_id, type, active, "
        "probability, expected_revenue, prorated_revenue, date_deadline, date_open, "
        "date_closed, lost_reason_id, priority, email_from, phone, contact_name, "
        "partner_name, create_date",
    )
    topics = ["office refit", "laptop renewal", "new branch", "support contract",
              "monitor upgrade", "chairs for HQ", "yearly supplies"]  # fmt: skip
    for lid in range(1, 300 * g.scale + 1):
        company = r.choice(g.companies)
        created = g.when()
        first, last = g.person()
        user = r.choice(g.salespeople[company])
        team = r.choice(g.teams[company])
        kind = "lead" if r.random() < 0.3 else "opportunity"
        roll = r.random()
        stage = r.choice((1, 2, 3))
        active, prob, closed, lost = True, float((10, 30, 60)[stage - 1]), None, None
        if kind == "opportunity" and roll < 0.25:
            stage, prob = 4, 100.0
            closed = created + dt.timedelta(days=r.randrange(3, 90))
        elif roll < 0.4:
            active, prob, lost = False, 0.0, r.randrange(1, len(LOST_REASONS) + 1)
            closed = created + dt.timedelta(days=r.randrange(3, 60))
        if closed and closed > g.end:
            closed = g.end
        revenue = round(r.uniform(1_000, 60_000), 2)
        partner = r.choice(g.customers_by_company[company]) if r.random() < 0.6 else None
        lead.add(lid, f"{first} {last}: {r.choice(topics)}", partner, company, user, team,
                 stage, kind, active, prob, revenue, round(revenue * prob / 100, 2),
                 (created + dt.timedelta(days=r.randrange(10, 120))).date(), created, closed,
                 lost, r.choice("0123"), f"{first.lower()}.{last.lower()}{lid}@example.org",
                 g.phone("US"), f"{first} {last}", None, created)  # fmt: skip
