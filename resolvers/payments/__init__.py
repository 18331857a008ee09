"""Online card payments (paiement en ligne): a régie's provider set-up, starting a payment, the
providers' wire formats (``payment_protocols``: PayZen, Paybox, PayFiP signatures), the DGFiP's
PayFiP web service (``payfip``) and callbacks stored first then reconciled into the ledger
(``reconcile``).

May call: core, billing, households.
"""
