"""Company registry app (incorporation, officers, shares, licences): see `govledger.apps.company.app`."""
