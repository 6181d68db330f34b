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
