"""Bulk import of CSV and Parquet files: stream, check, stage, merge set-wise.

The engine is shared; what a file of each kind means lives with its context
(customers.importing, commerce.importing, feedback.importing).
"""


def kinds() -> dict:
    """The import kinds by their command-line name."""
    from patron.commerce.importing import ORDER_LINES_KIND, ORDERS_KIND
    from patron.customers.importing import KIND as CUSTOMERS_KIND
    from patron.feedback.importing import KIND as SURVEY_RESPONSES_KIND

    return {k.name: k for k in (CUSTOMERS_KIND, ORDERS_KIND, ORDER_LINES_KIND, SURVEY_RESPONSES_KIND)}
