"""Family quotients from the CAF or the MSA: API Particulier's quotient endpoint and its local
fake (``api_particulier``), the parent's consent and the quotients stored on the household,
fetched by staff or refreshed nightly before they lapse (``family_quotients``).

May call: core, households.
"""
