"""Amendments that close loopholes (`loopholes amend`): edits of a rule written as data,
each verified by the search (what it closes, leaves and opens) and by the backtest (which
real models it covers)."""

from .candidate import Candidate, evaluate, worst_with
from .operators import CATALOGUE, NOT_ENCODED, Edit, Operator, catalogue, edits_for
from .sweep import DEFAULT_MAX_EDITS, Amendments, amend

__all__ = ["Amendments", "CATALOGUE", "Candidate", "DEFAULT_MAX_EDITS", "Edit", "NOT_ENCODED", "Operator", "amend",
           "catalogue", "edits_for", "evaluate", "worst_with"]
