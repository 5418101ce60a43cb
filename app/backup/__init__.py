"""Portable backups of the whole database, and restoring them into an empty one."""
