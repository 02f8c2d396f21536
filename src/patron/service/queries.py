"""Read-side questions about the service desk that other contexts' reports take in."""

import pandas as pd
from django.conf import settings

from patron.culture.grammar import primary
from patron.service.models import TicketEvent


def staff_notes(since=None) -> pd.DataFrame:
    """Agents' internal notes on tickets, as comments in the customer's language: what staff hear counts
    too (registered with feedback's comment themes in ServiceConfig.ready())."""
    query = TicketEvent.objects.filter(kind=TicketEvent.Kind.NOTE).exclude(body="")
    if since:
        query = query.filter(at__gte=since)
    rows = list(query.values_list("id", "ticket__customer_id", "body", "ticket__customer__language", "at"))
    frame = pd.DataFrame(rows, columns=["id", "customer_id", "comment", "language", "answered_at"])
    frame["language"] = frame["language"].fillna(settings.PATRON_DEFAULT_LANGUAGE).replace("", settings.PATRON_DEFAULT_LANGUAGE).map(primary)
    frame["kind"], frame["score"], frame["segment"] = "note", None, None
    return frame
