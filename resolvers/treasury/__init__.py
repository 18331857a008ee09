"""Trésor public (PES V2): a régie's PES model with its product codes (``pes_settings``), and the
month's rôle of titres exported as one PES Aller ORMC file to Hélios, with the debits the Trésor
presents under the households' SEPA mandates and the invoice PDFs for its print centre
(``pes_export``, file built by ``pes_xml``). Invoices sent are locked (``Invoice.pes_batch``).

May call: core, households, billing, sepa.
"""
