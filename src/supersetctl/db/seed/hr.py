"""HR: departments and employees (``hr_department``, ``hr_employee``)."""

from __future__ import annotations

import datetime as dt

from .generator import Generator
from .vocabulary import DEPARTMENTS, JOBS, ORG_B


def employees(g: Generator) -> None:
    """Departments per company and their employees (the salespeople among them), with the
    private data verify must keep out of every view (made up)."""
    r = g.rng
    dep = g.table("hr_department", "id, name, complete_name, company_id, parent_id, active")
    emp = g.table(
        "hr_employee",
        "id, name, company_id, department_id, job_title, work_email, work_phone, "
        "mobile_phone, private_email, private_phone, private_street, birthday, "
        "identification_id, ssnid, gender, marital, user_id, parent_id, active, create_date",
    )
    did = eid = 0
    created = g.start - dt.timedelta(days=300)
    for c in g.companies:
        deps: dict[str, int] = {}
        for name in DEPARTMENTS:
            did += 1
            dep.add(did, {"en_US": name}, name, c, None, True)
            deps[name] = did
        head = None
        users = list(g.salespeople[c])
        for i in range(12 + min(g.scale, 40)):
            eid += 1
            dname = DEPARTMENTS[0] if i == 0 else ("Sales" if users else r.choice(DEPARTMENTS[1:]))
            user = users.pop(0) if users and dname == "Sales" else None
            if user is not None:
                first, last = g.user_names[user].split(" ", 1)
            else:
                first, last = g.person()
            slug = f"{first.lower()}.{last.lower()}"
            cc = "DE" if c == 2 else "US"
            emp.add(eid, f"{first} {last}", c, deps[dname], JOBS[dname],
                    f"{slug}@example.com", g.phone(cc), g.phone(cc),
                    f"{slug}.home{eid}@example.net", g.phone(cc),
                    f"{r.randrange(1, 99)} {r.choice(ORG_B)} Lane",
                    dt.date(r.randrange(1965, 2002), r.randrange(1, 13), r.randrange(1, 29)),
                    f"ID{r.randrange(10**7, 10**8)}",
                    f"{r.randrange(100, 999)}-55-{r.randrange(1000, 9999)}",
                    r.choice(("male", "female", "other")), r.choice(("single", "married")),
                    user, head, True, created)  # fmt: skip
            if head is None:
                head = eid
