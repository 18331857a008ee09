"""Domain operations: plain async functions, one module per area, no Strawberry here.

gql/, jobs/ and the CLI all call these, so every rule lives here exactly once.
"""
