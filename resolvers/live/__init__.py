"""Live events: hints of what changed in a household's calendar or requests, recorded in the
caller's transaction and published to subscribed phones after commit.

May call: core.
"""
