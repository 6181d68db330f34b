"""The rule framework's old address, kept so drafts written as `from loopholes.policy
import Policy, ...` keep working: the framework lives in `loopholes.rules.framework`
(import it as `loopholes.rules`)."""

from .rules.framework import *  # noqa: F401,F403
from .rules.framework import __all__  # noqa: F401
