"""Seeded random US buyers for generated sales."""

from __future__ import annotations

import random

FIRST_NAMES = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Daniel",
    "Nancy",
    "Matthew",
    "Lisa",
    "Anthony",
    "Betty",
    "Mark",
    "Sandra",
    "Steven",
    "Ashley",
]
LAST_NAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
]
STREETS = [
    "Main St",
    "Oak Ave",
    "Maple Dr",
    "Cedar Ln",
    "Pine St",
    "Elm St",
    "Washington Ave",
    "Lake View Rd",
    "Hillcrest Dr",
    "Sunset Blvd",
    "Park Pl",
    "River Rd",
    "Highland Ave",
    "Meadow Ln",
    "Church St",
]
# (city, state, ZIP prefix, area code)
CITIES = [
    ("Columbus", "OH", "432", "614"),
    ("Austin", "TX", "787", "512"),
    ("Denver", "CO", "802", "303"),
    ("Portland", "OR", "972", "503"),
    ("Raleigh", "NC", "276", "919"),
    ("Tampa", "FL", "336", "813"),
    ("Madison", "WI", "537", "608"),
    ("Boise", "ID", "837", "208"),
    ("Albany", "NY", "122", "518"),
    ("Phoenix", "AZ", "850", "602"),
    ("Nashville", "TN", "372", "615"),
    ("Sacramento", "CA", "958", "916"),
    ("Richmond", "VA", "232", "804"),
    ("Omaha", "NE", "681", "402"),
    ("Spokane", "WA", "992", "509"),
]


def random_buyer(rng: random.Random) -> dict:
    """A buyer in the shape that ``POST /sandbox/orders`` accepts under ``buyer``."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    city, state, zip_prefix, area = rng.choice(CITIES)
    line2 = f"Apt {rng.randint(1, 40)}{rng.choice('ABCD')}" if rng.random() < 0.3 else ""
    address = {
        "addressLine1": f"{rng.randint(10, 9899)} {rng.choice(STREETS)}",
        "city": city,
        "stateOrProvince": state,
        "postalCode": f"{zip_prefix}{rng.randint(0, 99):02d}",
        "countryCode": "US",
    }
    if line2:
        address["addressLine2"] = line2
    return {
        "name": f"{first} {last}",
        "username": f"{first[0].lower()}{last.lower()}_{rng.randint(10, 9999)}",
        "phone": f"{area}555{rng.randint(100, 199):04d}",
        "email": "".join(rng.choice("0123456789abcdef") for _ in range(24)) + "@members.ebay.com",
        "address": address,
    }
