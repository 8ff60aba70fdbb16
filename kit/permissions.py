"""Permission names that more than one app checks."""

# Full resident ID and phone numbers (PIPL: sensitive personal information); everyone else
# sees them masked.
FULL_ID_PERMISSION = "candidates.view_full_id_number"
