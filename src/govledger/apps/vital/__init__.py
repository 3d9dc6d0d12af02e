"""Vital records app (births, deaths, marriages, divorces): see `govledger.apps.vital.app`."""
