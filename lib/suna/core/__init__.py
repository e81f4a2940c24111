"""The ground floor: errors a user can cause, where files live, the reference facts, fingerprints.

Imports nothing else of SUNA. Every other layer may import it.
"""
