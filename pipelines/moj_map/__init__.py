"""法務省 登記所備付地図データ (地図XML): ``parcels``, and the parcel registry derived with the ABR."""
