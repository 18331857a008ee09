"""Domain operations: plain async functions in one package per domain, no Strawberry here.

gql/, jobs/ and the CLI all call these, so every rule lives here exactly once. ``core/`` is
what every domain shares; each domain package's docstring says what it owns and which other
domains it may call (« May call: … », checked by tests/test_layers.py).
"""
