"""The nightly expiry scan and its outbox: notices, clinic digests, their sending and admin."""
