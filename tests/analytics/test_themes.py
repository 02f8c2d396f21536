"""Themes recover planted topics in five languages; the alerts fire on a planted spike or drop and not on noise."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from patron.analytics import feedback, themes
from patron.analytics.frames import AnalyticsError
from tests.feedback.comments import TOPICS, labelled_comments


def purity(truth: pd.Series, found: pd.Series) -> float:
    """Share of comments whose found theme's most common planted topic is their own."""
    table = pd.crosstab(found, truth)
    return table.max(axis=1).sum() / table.to_numpy().sum()


@pytest.mark.parametrize("seed", [7, 11])
def test_planted_topics_are_recovered_in_every_language(seed):
    comments = labelled_comments(seed=seed)
    assert len(comments) == 300
    found = themes.find_themes(comments, k=len(TOPICS))
    for language, group in comments.groupby("language"):
        labels = found.labels[group.index]
        assert (labels >= 0).all()
        ari = adjusted_rand_score(group["topic"], labels)
        assert ari >= 0.8, (language, ari)
    assert set(found.themes["language"]) == {"en", "lt", "lv", "et", "ka"}
    english = found.themes[found.themes["language"] == "en"]
    names = " ".join(english["name"])
    assert "quality" in names and ("staff" in names or "service" in names) and "delivery" in names


def test_the_number_of_themes_chosen_splits_but_never_mixes_topics():
    comments = labelled_comments()
    found = themes.find_themes(comments)  # k chosen per language by the silhouette
    for language, group in comments.groupby("language"):
        labels = found.labels[group.index]
        assert len(TOPICS) <= labels.nunique() <= 8
        assert purity(group["topic"], labels) >= 0.85, language


def test_examples_and_names_come_from_the_comments():
    comments = labelled_comments()
    found = themes.find_themes(comments, k=4)
    row = found.themes.iloc[0]
    members = comments.loc[found.labels == row["theme"], "comment"]
    assert set(row["examples"]) <= set(members) and len(row["examples"]) == 3
    assert row["size"] == len(members) and len(row["terms"]) == 6
    words = " ".join(comments["comment"]).lower()
    assert all(term in words for term in row["terms"])  # shown as written, not as stems


def test_small_languages_and_bad_input():
    comments = pd.DataFrame({"comment": ["Delivery was late"] * 5, "language": ["en"] * 5})
    assert themes.find_themes(comments).themes.empty
    with pytest.raises(AnalyticsError, match="no column 'text'"):
        themes.find_themes(comments, text_col="text")
    with pytest.raises(AnalyticsError, match="k must be"):
        themes.find_themes(labelled_comments(), k=0)


def monthly(rng, months, per_month, planted=None):
    """Comments labelled with themes 0-3 at random (equal shares), over `months`; `planted` = (month, theme, extra)."""
    rows = []
    for m in range(months):
        n = per_month + (planted[2] if planted and planted[0] == m else 0)
        theme = rng.integers(0, 4, size=per_month)
        if planted and planted[0] == m:
            theme = np.concatenate([theme, np.full(planted[2], planted[1])])
        when = pd.Timestamp("2026-01-01") + pd.DateOffset(months=m) + pd.to_timedelta(rng.integers(0, 27, size=n), unit="D")
        rows.append(pd.DataFrame({"theme": theme, "at": when}))
    frame = pd.concat(rows, ignore_index=True)
    return frame


def test_a_planted_theme_spike_is_flagged_and_noise_is_not():
    rng = np.random.default_rng(3)
    quiet = 0
    for _ in range(30):
        frame = monthly(rng, 8, 120)
        quiet += len(themes.theme_spikes(themes.theme_trend(frame["theme"], frame["at"])))
    assert quiet == 0
    frame = monthly(rng, 8, 120, planted=(7, 2, 60))  # 60 more comments on theme 2 in the last month
    spikes = themes.theme_spikes(themes.theme_trend(frame["theme"], frame["at"]))
    assert list(spikes["theme"]) == [2] and spikes.iloc[0]["period"] == "2026-08"


def nps_answers(rng, months, per_month, last_shares=None):
    rows = []
    for m in range(months):
        shares = last_shares if (last_shares and m == months - 1) else (0.5, 0.3, 0.2)  # promoters, passives, detractors
        kind = rng.choice([10, 8, 3], size=per_month, p=shares)
        rows.append(pd.DataFrame({"kind": "nps", "score": kind,
                                  "answered_at": pd.Timestamp("2026-01-05") + pd.DateOffset(months=m)}))
    return pd.concat(rows, ignore_index=True)


def test_an_nps_drop_beyond_noise_is_flagged():
    rng = np.random.default_rng(5)
    assert sum(feedback.nps_drop(nps_answers(rng, 8, 200)) is not None for _ in range(30)) == 0
    drop = feedback.nps_drop(nps_answers(rng, 8, 200, last_shares=(0.3, 0.3, 0.4)))  # NPS 30 -> about -10
    assert drop is not None and drop["period"] == "2026-08" and drop["nps"] < drop["baseline_nps"] - 20


def test_nps_interval_and_table_follow_the_formulas():
    nps, low, high = feedback.nps_interval(50, 20, 100)
    # NPS = 50% - 20% = 30; SE = sqrt((0.5 + 0.2 - 0.3^2) / 100) = 0.0781 -> 30 +/- 15.3 points
    assert nps == pytest.approx(30) and low == pytest.approx(30 - 1.959964 * 7.8102, abs=0.01)
    assert high == pytest.approx(30 + 1.959964 * 7.8102, abs=0.01)
    answers = pd.DataFrame({"kind": ["nps"] * 4 + ["csat"] * 2, "score": [10, 9, 6, 7, 5, 3], "language": ["lt"] * 6})
    table = feedback.score_table(answers, by="language")
    assert table.loc["lt", "nps"] == 25.0 and table.loc["lt", "csat"] == 50.0 and table.loc["lt", "passives"] == 1
