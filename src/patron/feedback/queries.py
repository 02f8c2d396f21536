"""Read-side questions about feedback: scores by group, the comments' themes and alerts, similar comments."""

import datetime as dt
from collections.abc import Callable

import pandas as pd

from patron.analytics import feedback as scores
from patron.analytics import themes
from patron.feedback.models import Idea, Response

GROUPS = ("month", "language", "segment", "kind")

# More written words to find themes in, from contexts above feedback (the service desk's notes), each a
# function of `since` giving frames with answers_frame's columns; registered in their ready().
COMMENT_SOURCES: list[Callable[[dt.datetime | None], pd.DataFrame]] = []


def answers_frame(start: dt.datetime | None = None, end: dt.datetime | None = None) -> pd.DataFrame:
    """Every answer in [start, end): id, customer_id, kind, score, comment, language, answered_at, segment."""
    query = Response.objects.all()
    if start:
        query = query.filter(answered_at__gte=start)
    if end:
        query = query.filter(answered_at__lt=end)
    columns = ["id", "customer_id", "kind", "score", "comment", "language", "answered_at", "segment"]
    rows = query.values_list(*columns[:-1], "customer__score__segment").order_by("answered_at", "id")
    frame = pd.DataFrame(list(rows), columns=columns)
    frame["language"] = frame["language"].map(themes.primary)
    frame["segment"] = frame["segment"].fillna("unscored")
    return frame


def score_table(by: str | None, start=None, end=None) -> pd.DataFrame:
    """NPS and CSAT with 95% intervals, overall or by month, language, segment or survey kind."""
    frame = answers_frame(start, end)
    if by == "month":
        key = pd.to_datetime(frame["answered_at"], utc=True).dt.strftime("%Y-%m").rename("month")
        return scores.score_table(frame, by=key)
    return scores.score_table(frame, by=by)


def comment_themes(since=None, k=None, min_comments: int = 20) -> dict:
    """Themes of the comments since `since`, each with its monthly counts; themes spiking in the latest
    month; and an NPS drop beyond noise, if there is one."""
    frame = answers_frame(since)
    written = pd.concat([frame[frame["comment"].str.strip() != ""], *(source(since) for source in COMMENT_SOURCES)],
                        ignore_index=True)
    found = themes.find_themes(written, k=k, min_comments=min_comments)
    trend = themes.theme_trend(found.labels, written["answered_at"]) if len(written) else pd.DataFrame()
    spikes = themes.theme_spikes(trend) if len(trend) else pd.DataFrame(columns=["theme"])
    listing = []
    for row in found.themes.to_dict("records"):
        members = written.loc[found.labels == row["theme"]]
        nps = members[members["kind"] == "nps"]
        row["nps"] = scores.nps_interval(int((nps["score"] >= 9).sum()), int((nps["score"] <= 6).sum()), len(nps))[0] if len(nps) else None
        row["trend"] = {str(p): int(n) for p, n in trend[row["theme"]].items()} if row["theme"] in trend else {}
        listing.append(row)
    return {
        "comments": int(len(written)),
        "themes": listing,
        "spikes": spikes.to_dict("records"),
        "nps_drop": scores.nps_drop(frame) if len(frame) else None,
    }


def similar_comments(idea: Idea, limit: int = 20, threshold: float = 0.3) -> list[tuple[Response, float]]:
    """Comments not yet linked to the idea that read like the ones that are (or like its title)."""
    linked = list(idea.responses.exclude(comment="").values_list("comment", "language"))
    language = themes.primary(linked[0][1]) if linked else ""
    candidates = list(Response.objects.exclude(comment="").exclude(idea=idea).filter(customer__erased_at__isnull=True)
                      .order_by("-answered_at")[:5000])
    if language:
        candidates = [r for r in candidates if themes.primary(r.language) == language]
    found = themes.similar_texts([r.comment for r in candidates], [c for c, _ in linked] + [idea.title], language or "en",
                                 limit=limit, threshold=threshold)
    return [(candidates[i], similarity) for i, similarity in found]
