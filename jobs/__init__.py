"""arq jobs: mail, the outbox relay, live events, payments, invoicing, kitchen mails, reminders
and privacy; ``worker.WorkerSettings`` lists them and their crons. Jobs call resolvers/."""
