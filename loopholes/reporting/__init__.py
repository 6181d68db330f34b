"""Reports: one rule's loophole report (`report`), the comparison of rules (`compare`),
their figures, HTML pages, diagrams and CSV tables. Everything here reads search results
and backtests; nothing upstream imports it."""
