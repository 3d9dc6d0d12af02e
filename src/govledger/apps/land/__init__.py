"""Land registry app (ISO 19152 LADM): see `govledger.apps.land.app` for the theory of operation."""
