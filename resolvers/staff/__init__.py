"""Towns and their staff: a town created by the operator (``famille create-town``) with its
first administrator's invitation, the rules an administrator sets (password policy, terms,
time zone, unpaid-invoice block, the name on PDFs and mails, the address on invoices and the
logo on PDFs: ``towns``),
and the staff: invitations by mail (single use, expiring), roles with the régies and sites
they are given, disable and re-enable, every change audited (``staff``). Who may run which
operation is declared in gql/access.py and enforced by ``core.roles``.

May call: core, accounts.
"""
