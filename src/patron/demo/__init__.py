"""The demo shop: customers of five languages with a purchase history drawn from a BG/NBD process."""
