"""Rules: the framework a rule is built from (`framework`: Policy, Rule, Reading,
Parameter, the combinators and conditions), rules as data (`rulefile`), finding a rule
by id or path (`registry`), and the bundled rules (`bundled/`).

A drafter's Python rule imports the framework from here (`from loopholes.rules import
Policy, Reading, compute_threshold`); `loopholes.policy` still works for older drafts."""

from .framework import *  # noqa: F401,F403
from .framework import __all__  # noqa: F401
