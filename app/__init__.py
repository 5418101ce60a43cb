"""zerodraft: the drafting platform of the ASEAN Drafting Working Group on forced criminality."""
