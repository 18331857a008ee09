"""The family app's home screen: what a parent opens the app to see about a household (its
children's next days, unpaid invoices, unread messages, latest requests), each read by the
function its own screen uses, in a fixed number of statements.

May call: core, billing, calendar, households, messages.
"""
