"""The segments one customer is in, for the export (registered in SegmentsConfig.ready)."""

from patron.customers.privacy import exports
from patron.segments.models import SegmentMember


@exports("segments")
def segments(customer) -> list[dict]:
    return list(SegmentMember.objects.filter(customer=customer).order_by("segment__name").values("segment__name", "entered_at"))
