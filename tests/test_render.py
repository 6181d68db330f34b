"""Numbers in every output read the same way."""

from fractions import Fraction

import pytest

from loopholes.render import fmt


@pytest.mark.parametrize("value, text", [(0, "0"), (12, "12"), (0.333, "0.333"), (6.95e5, "6.95e5"), (1e26, "1e26"),
                                         (9.87e24, "9.87e24"), (3e-5, "3e-5"), (2.5e-4, "0.00025"),
                                         (float("inf"), "inf"), (Fraction(1, 3), "0.333"), (10**25, "1e25"),
                                         (6560, "6.56e3"), (1234.5, "1.23e3"), (999, "999")])
def test_fmt(value, text):
    assert fmt(value) == text


def test_check_prints_a_rule_with_an_exact_fraction(capsys):
    """The EU rule's modifier share is Fraction(1, 3): `loopholes check` prints its trace."""
    from pathlib import Path

    from loopholes.cli import main

    spec = Path(__file__).resolve().parent.parent / "examples" / "llama-3.1-405b.yaml"
    assert main(["check", "eu-ai-act", str(spec)]) == 0
    assert "0 > 0.333?" in capsys.readouterr().out  # the modifier share, against its line of one third


def test_a_value_over_the_line_never_reads_as_no():
    """Was: "9.9e25 > 1e23? no (990x the line) — bio share 49.0% does not pass > 50%"."""
    from loopholes.render import clause_test
    from loopholes.rules.framework import ClauseResult

    share = ClauseResult("bio", "EO 14110 §4.2(b)(i)", "ops", 9.9e25, 10**23, ">", False, "t",
                         "bio share 49.0% does not pass > 50%")
    assert clause_test(share) == "9.9e25 > 1e23? yes (990x the line), but bio share 49.0% does not pass > 50%"
    under = ClauseResult("general", "c", "ops", 8.25e22, 10**25, ">", False, "t", "provider: X")
    assert clause_test(under) == "8.25e22 > 1e25? no (0.00825x the line) — provider: X"
    cost = ClauseResult("cost", "c", "cost", 4.87e8, 10**8, ">", True, "t", unit="USD")
    assert clause_test(cost).startswith("$4.87e8 > $1e8? yes")
