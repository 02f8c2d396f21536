"""Connections to the shop's platform (WooCommerce, Shopify): credentials kept encrypted, their state and errors."""
