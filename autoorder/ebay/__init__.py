"""eBay: the REST client (OAuth + Sell Fulfillment) and what autoorder does with it."""
