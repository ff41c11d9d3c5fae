"""The verification workspace (/verify/): the admins' queue, one credential per screen with
its document and the checks done for the verifier, and their decisions, written through
the same services as the API."""
