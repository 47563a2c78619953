"""The planning MILP: index sets, variables, constraint families, objective."""
