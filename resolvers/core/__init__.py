"""The shared core every domain builds on: expected failures and their codes (errors), the
injectable clock, portable raw SQL (sql), one transaction per operation (transactions), the
transactional outbox (outbox), password hashing and digests (security), French wording of dates
and money (french), the audit trail (audit), signed download links (signed_links), the
staff roles' guard and scopes (roles), the log context, JSON format and secret masking (logs)
and the metrics the domains record (metrics).

May call: nothing (models only).
"""
