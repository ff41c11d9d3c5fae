"""Checks done for the verifier: the NPPES registry, the OIG exclusion list (LEIE) and the
screening of practitioners against it, recognised training providers, and the state
boards' public license lookups."""
