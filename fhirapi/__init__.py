"""A FHIR R4 read API of the public directory (Practitioner, PractitionerRole, Location,
Organization, VerificationResult) with search, incremental sync and bulk export, under /fhir/.

A sibling of `portal`: it reads the directory and the credentials, and neither portal nor
this app imports the other. (Not named `fhir`: that is the package of the FHIR models the
tests validate against.)
"""
