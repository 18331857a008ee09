"""RGPD: a household's export of all its data, and the retention that anonymises families gone for
good.

May call: core, documents, households.
"""
