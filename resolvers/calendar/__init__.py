"""The reservation calendar: the town's catalogue (sites, activities, periods, openings, closures,
school holidays), enrolments, the booking rules (open days, deadlines, in the town's time zone),
the household calendar read (``calendar``, the hottest read) and change sets of bookings
(``bookings``: preview, submit, waiting list); staff changing and removing the catalogue
(``catalogue_edits``) and looking families and children up (``directory``); the new school
year (``school_year``: rollover, classes up a level; ``reenrollment``: the campaign);
what they cost (``costs``, at the household's price from billing).

May call: core, households, live, billing.
"""
