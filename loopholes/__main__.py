"""`python -m loopholes`: the `loopholes` command through this interpreter, for when the
console script is not on PATH (a test run without an activated environment)."""

import sys

from .cli import main

sys.exit(main())
