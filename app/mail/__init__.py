"""Outgoing mail: the transactional outbox, its delivery over SMTP, and digests."""
