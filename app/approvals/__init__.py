"""The co-chairs' approval of a settled round, named by its snapshot's content hash."""
