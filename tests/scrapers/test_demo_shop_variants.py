"""How DemoShopAdapter pairs a listing's variant label with the product page's option groups
(offline)."""

import pytest

from autoorder.scrapers.demo_shop import match_options

TSHIRT = {"color": ["Black", "White", "Heather Grey"], "size": ["S", "M", "L", "XL"]}
TWO_BLACKS = {"color": ["Black", "Red"], "trim": ["Black", "Silver"]}


@pytest.mark.parametrize(
    ("groups", "parts", "expected"),
    [
        (TSHIRT, ["Heather Grey", "XL"], [("color", "Heather Grey"), ("size", "XL")]),
        (
            TSHIRT,
            ["xl", "heather   GREY"],
            [("size", "XL"), ("color", "Heather Grey")],
        ),  # any order, case, spacing
        (TSHIRT, ["Black"], None),  # a size is missing
        (TSHIRT, ["Black", "L", "Cotton"], None),  # one part too many
        (TSHIRT, ["Purple", "L"], None),  # not offered
        (TSHIRT, ["Black", "Black"], None),  # one group twice, the other never
        (TWO_BLACKS, ["Black", "Silver"], [("color", "Black"), ("trim", "Silver")]),
        (TWO_BLACKS, ["Red", "Black"], [("color", "Red"), ("trim", "Black")]),
        (
            TWO_BLACKS,
            ["Black", "Black"],
            [("color", "Black"), ("trim", "Black")],
        ),  # ambiguous: by position
        ({"color": ["Clear", "Black"]}, ["black"], [("color", "Black")]),
    ],
)
def test_match_options(groups, parts, expected):
    assert match_options(groups, parts) == expected
