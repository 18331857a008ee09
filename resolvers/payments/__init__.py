"""Payments (paiement en ligne, encaissement au guichet): a régie's provider set-up, starting a
payment, the providers' wire formats (``payment_protocols``: PayZen, Paybox, PayFiP signatures),
the DGFiP's PayFiP web service (``payfip``), callbacks stored first then reconciled into the
ledger (``reconcile``), and payments received at the régie's desk with their receipt
(``desk``, ``desk_receipt``), written to the same ledger; the régie's till: gap-free
numbers (``numbering``), credit refunds (``refunds``), deposit slips and their PDF
(``deposits``, ``deposit_pdf``) and the daily cash journal (``cash_journal``).

May call: core, billing, households.
"""
