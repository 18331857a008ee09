"""What must hold in a town's data whatever the code path that wrote it, checked after a
restore (``famille check``, docs/backups.md): migrations all applied, invoice and receipt
numbers without gaps, every document file's bytes present, outbox rows in a state the relay
can reach, invoices' settled amounts equal to the payment ledger, id sequences ahead of
their tables (``checks``).

May call: core, billing, documents, payments.
"""
