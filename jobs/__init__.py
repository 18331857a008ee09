"""arq jobs: mail, the outbox relay, and (later) payments, invoicing and reminders."""
