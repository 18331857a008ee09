"""Messages (échanges) between a household and the town's services, in threads with read markers.

May call: core, households.
"""
