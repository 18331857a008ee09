"""Relay's ``Node`` interface: an object any client can refetch by its global id alone
(``node(id)``, ``nodes(ids)`` in gql/nodes.py)."""

import strawberry


@strawberry.interface(
    description="An object with a stable global id: `node(id)` refetches it, through the same "
    "access rule as the query that listed it."
)
class Node:
    id: strawberry.ID = strawberry.field(description="Stable global id.")
