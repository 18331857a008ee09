"""Accounts (comptes): registration with the town's password policy and terms, activation by mailed
link, login with throttling, bearer sessions, password change and reset.

May call: core.
"""
