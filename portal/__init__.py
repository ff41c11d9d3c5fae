"""The composition layer: what shows the directory and the credentials together.

The public profile (API and page), the patient pages, the roster import and
the demo directory each need both domain apps; they live here so that
`directory` never imports `credentials`.
"""
