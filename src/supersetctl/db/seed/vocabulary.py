"""The made-up words the seed data is built from: names of people and organisations, places,
product categories and kinds, CRM stages, departments, and the three companies.

Changing any list changes every generated row after its first use (the random stream is
consumed differently): the determinism tests pin the output.
"""

from __future__ import annotations

FIRST = [
    "Ava",
    "Ben",
    "Chloe",
    "Dario",
    "Elin",
    "Farid",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Kira",
    "Liam",
    "Maya",
    "Noah",
    "Olga",
    "Pablo",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Umar",
    "Vera",
    "Wim",
    "Xenia",
    "Yusuf",
    "Zoe",
    "Aiko",
    "Bram",
    "Cleo",
    "Dmitri",
]
LAST = [
    "Abbott",
    "Brandt",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fontaine",
    "Garber",
    "Holm",
    "Ibarra",
    "Jansen",
    "Kowal",
    "Lindqvist",
    "Moreau",
    "Novak",
    "Okafor",
    "Petrov",
    "Quist",
    "Rossi",
    "Sato",
    "Toma",
    "Ueda",
    "Varga",
    "Weber",
    "Yilmaz",
    "Zeller",
]
ORG_A = [
    "Blue",
    "Green",
    "Red",
    "Silver",
    "Golden",
    "North",
    "South",
    "East",
    "West",
    "Bright",
    "Swift",
    "Solid",
    "Prime",
]
ORG_B = [
    "Oak",
    "Pine",
    "River",
    "Stone",
    "Harbor",
    "Peak",
    "Field",
    "Bridge",
    "Lake",
    "Ridge",
    "Valley",
    "Forge",
]
ORG_C = [
    "Traders",
    "Works",
    "Labs",
    "Supply",
    "Partners",
    "Systems",
    "Logistics",
    "Foods",
    "Retail",
    "Group",
]
CITIES = [
    ("US", "Springfield"),
    ("US", "Riverton"),
    ("US", "Lakeside"),
    ("DE", "Neustadt"),
    ("DE", "Altdorf"),
    ("FR", "Villeneuve"),
    ("BE", "Hoogstraten"),
    ("NL", "Nieuwkerk"),
    ("GB", "Newtown"),
    ("CA", "Fairview"),
]
COUNTRIES = [
    ("US", "United States", "Vereinigte Staaten"),
    ("DE", "Germany", "Deutschland"),
    ("FR", "France", "Frankreich"),
    ("BE", "Belgium", "Belgien"),
    ("NL", "Netherlands", "Niederlande"),
    ("GB", "United Kingdom", "Vereinigtes Königreich"),
    ("CA", "Canada", "Kanada"),
]
# (name, parent index or None)
CATEGORIES: list[tuple[str, int | None]] = [
    ("All", None),
    ("Saleable", 0),
    ("Office Furniture", 1),
    ("Desks", 2),
    ("Chairs", 2),
    ("Storage", 2),
    ("Electronics", 1),
    ("Computers", 6),
    ("Monitors", 6),
    ("Accessories", 6),
    ("Supplies", 1),
    ("Paper", 10),
    ("Services", 0),
    ("Installation", 12),
    ("Maintenance", 12),
]
# leaf category index -> (product nouns, product type 17 detailed_type, price range)
PRODUCT_KINDS: dict[int, tuple[list[str], str, tuple[int, int]]] = {
    3: (["Standing Desk", "Corner Desk", "Writing Desk", "Desk Riser"], "product", (150, 900)),
    4: (["Office Chair", "Stool", "Visitor Chair", "Gaming Chair"], "product", (60, 450)),
    5: (["Drawer Unit", "Bookshelf", "Locker", "Filing Cabinet"], "product", (80, 600)),
    7: (["Laptop", "Workstation", "Mini PC", "Tablet"], "product", (400, 2400)),
    8: (["Monitor 24in", "Monitor 27in", "Monitor 32in", "Monitor Arm"], "product", (90, 700)),
    9: (["Keyboard", "Mouse", "Headset", "Webcam", "USB Hub"], "consu", (10, 150)),
    11: (["Copy Paper", "Notebook", "Sticky Notes", "Envelopes"], "consu", (2, 40)),
    13: (["Desk Assembly", "Cabling", "Room Setup"], "service", (50, 500)),
    14: (["Support Plan", "Repair", "On-site Visit"], "service", (40, 400)),
}
FRENCH = {
    "Desk": "Bureau",
    "Chair": "Chaise",
    "Monitor": "Écran",
    "Paper": "Papier",
    "Laptop": "Ordinateur portable",
}
STAGES = [("New", 10, False), ("Qualified", 20, False), ("Proposition", 30, False)]
STAGE_WON = ("Won", 70, True)
LOST_REASONS = ["Too expensive", "Not enough stock", "We don't have people/skills"]
DEPARTMENTS = ["Management", "Sales", "Administration", "Warehouse", "Research"]
JOBS = {
    "Management": "Managing Director",
    "Sales": "Account Executive",
    "Administration": "Accountant",
    "Warehouse": "Warehouse Operator",
    "Research": "Engineer",
}
# (id, name, currency id, country code)
COMPANIES = [
    (1, "Northwind Trading Inc.", 1, "US"),
    (2, "Nordlicht Handel GmbH", 2, "DE"),
    (3, "Southwind Retail LLC", 1, "US"),
]
