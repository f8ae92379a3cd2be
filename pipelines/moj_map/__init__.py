"""Real-estate domain: 法務省 地図XML parcels, the parcel registry (ABR join) and land prices."""
