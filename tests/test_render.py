"""Numbers in every output read the same way."""

import pytest

from loopholes.render import fmt


@pytest.mark.parametrize("value, text", [(0, "0"), (12, "12"), (0.333, "0.333"), (6.95e5, "6.95e5"), (1e26, "1e26"),
                                         (9.87e24, "9.87e24"), (3e-5, "3e-5"), (2.5e-4, "0.00025"),
                                         (float("inf"), "inf")])
def test_fmt(value, text):
    assert fmt(value) == text
