"""The household's private document storage (pièces justificatives): typed documents of 1–4 files,
who may read what, where the bytes live (``storage``: database or directory) and what a file
really is from its bytes (``sniffing``).

May call: core, households.
"""
