"""Help for the people who use zerodraft: one short page with a section per role."""
