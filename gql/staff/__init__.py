"""Staff area: the town's rules and its staff (invitations, roles, disable/enable)."""
