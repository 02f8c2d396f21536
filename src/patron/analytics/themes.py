"""Themes in what customers write, per language: TF-IDF over stemmed words, factorised by NMF.

Each language is modelled on its own (a Lithuanian complaint about delivery shares no words with
an English one). Words are lower-cased runs of letters (Georgian script included), stop words are
dropped, and words are reduced to a stem: Snowball for English, Lithuanian and Estonian; a light
suffix stripper for Latvian and Georgian, which have no Snowball stemmer. A theme is named by its
top stems, shown as the word customers used most for each.

The number of themes per language is chosen by the silhouette of the comments' assignment
(cosine distance over TF-IDF) unless given.
"""

from __future__ import annotations

import functools
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import snowballstemmer
import stopwordsiso
from scipy import stats
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import silhouette_score
from sklearn.metrics.pairwise import cosine_similarity

from patron.analytics.frames import AnalyticsError
from patron.culture.grammar import primary

WORD = re.compile(r"[^\W\d_]{2,}")
SNOWBALL = {"en": "english", "lt": "lithuanian", "et": "estonian"}
# Endings removed by the light stemmers, longest first; a stem keeps at least MIN_STEM letters.
LIGHT_SUFFIXES = {
    "lv": ("ajiem", "ajām", "ajos", "iem", "ām", "ās", "os", "as", "es", "is", "us", "ai", "ei", "am", "em", "im", "um",
           "ie", "ji", "ja", "a", "e", "i", "s", "š", "u", "o"),
    "ka": ("ებისთვის", "ისთვის", "ებით", "ების", "ებმა", "ებზე", "ებში", "ებს", "ები", "ისას", "ით", "ის", "ად", "მა",
           "ში", "ზე", "თან", "ს", "ი", "მ", "დ", "ა", "ო"),
}
MIN_STEM = 3
DATA = Path(__file__).parent


@functools.cache
def stop_words(language: str) -> frozenset[str]:
    """stopwords-iso's list for the language, and the project's own where it has none (Georgian)."""
    words = set(stopwordsiso.stopwords(language)) if stopwordsiso.has_lang(language) else set()
    own = DATA / f"stopwords_{language}.txt"
    if own.exists():
        words |= {w.strip() for w in own.read_text(encoding="utf-8").splitlines() if w.strip() and not w.startswith("#")}
    return frozenset(w.lower() for w in words)


@functools.cache
def _stemmer(language: str):
    return snowballstemmer.stemmer(SNOWBALL[language]) if language in SNOWBALL else None


def stem(word: str, language: str) -> str:
    stemmer = _stemmer(language)
    if stemmer is not None:
        return stemmer.stemWord(word)
    for _ in range(2):  # case endings stack on stem vowels (Georgian მიწოდება-ს): two passes
        for suffix in LIGHT_SUFFIXES.get(language, ()):
            if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
                word = word[: -len(suffix)]
                break
        else:
            break
    return word


class Tokenizer:
    """Words of one language to stems; remembers which word stood for each stem most often."""

    def __init__(self, language: str):
        self.language = language
        self.stops = stop_words(language)
        self.surface: dict[str, Counter] = defaultdict(Counter)

    def __call__(self, text: str) -> list[str]:
        out = []
        for word in WORD.findall(str(text).lower()):
            if word in self.stops:
                continue
            root = stem(word, self.language)
            if root in self.stops or len(root) < 2:
                continue
            self.surface[root][word] += 1
            out.append(root)
        return out

    def word(self, root: str) -> str:
        counts = self.surface.get(root)
        return counts.most_common(1)[0][0] if counts else root


@dataclass
class Themes:
    themes: pd.DataFrame  # one row per theme: theme, language, name, terms, size, share, examples
    labels: pd.Series  # per input row: its theme id, or -1 (too few comments in its language, or no words)


def find_themes(comments, text_col: str = "comment", language_col: str = "language", k: int | dict | None = None,
                max_k: int = 8, min_comments: int = 20, top_terms: int = 6, examples: int = 3,
                random_state: int = 0) -> Themes:
    """Themes in `comments` (a frame with a text and a language column).

    `k`: the number of themes per language (an int for all, or {language: k}); None chooses it per
    language between 2 and `max_k`. Languages with fewer than `min_comments` comments get no themes.
    """
    frame = _frame(comments, text_col, language_col)
    labels = pd.Series(-1, index=frame.index, dtype="int64", name="theme")
    rows, next_id = [], 0
    for language, group in frame.groupby("_lang", sort=True):
        if len(group) < min_comments or not language:
            continue
        tokenizer = Tokenizer(language)
        vectorizer = TfidfVectorizer(analyzer=tokenizer, min_df=2, max_df=0.5, sublinear_tf=True)
        try:
            x = vectorizer.fit_transform(group["_text"])
        except ValueError:  # no word is left after stop words and the document-frequency limits
            continue
        has_words = np.asarray(x.sum(axis=1)).ravel() > 0
        if has_words.sum() < min_comments or x.shape[1] < 2:
            continue
        chosen = k.get(language) if isinstance(k, dict) else k
        weights, components = _factorise(x[has_words], chosen, max_k, random_state)
        assigned = weights.argmax(axis=1)
        terms = vectorizer.get_feature_names_out()
        texts = group["_raw"].to_numpy()[has_words]
        index = group.index[has_words]
        for topic in range(components.shape[0]):
            members = np.flatnonzero(assigned == topic)
            if not len(members):
                continue
            top = [tokenizer.word(terms[i]) for i in components[topic].argsort()[::-1][:top_terms]]
            strongest = members[np.argsort(-weights[members, topic])][:examples]
            rows.append({"theme": next_id, "language": language, "name": ", ".join(top[:3]), "terms": top,
                         "size": len(members), "share": round(len(members) / len(group), 4),
                         "examples": [str(texts[i]) for i in strongest]})
            labels.loc[index[members]] = next_id
            next_id += 1
    columns = ["theme", "language", "name", "terms", "size", "share", "examples"]
    return Themes(pd.DataFrame(rows, columns=columns), labels)


def similar_texts(candidates: list[str], seeds: list[str], language: str, limit: int = 20,
                  threshold: float = 0.3) -> list[tuple[int, float]]:
    """The candidates that read like the seeds (TF-IDF in the language's own words, cosine to the seeds'
    centre): (index into `candidates`, similarity), most similar first, at least `threshold`, at most `limit`."""
    if not candidates or not seeds:
        return []
    vectorizer = TfidfVectorizer(analyzer=Tokenizer(language or "en"), sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform(list(candidates) + list(seeds))
    except ValueError:  # no word is left after stop words
        return []
    centre = np.asarray(matrix[len(candidates):].mean(axis=0))
    similarity = cosine_similarity(matrix[:len(candidates)], centre).ravel()
    order = np.argsort(-similarity)[:limit]
    return [(int(i), float(similarity[i])) for i in order if similarity[i] >= threshold]


def _frame(comments, text_col: str, language_col: str) -> pd.DataFrame:
    if not isinstance(comments, pd.DataFrame):
        raise AnalyticsError("comments must be a pandas DataFrame with a text and a language column")
    for name, col in (("text_col", text_col), ("language_col", language_col)):
        if col not in comments.columns:
            raise AnalyticsError(f"comments has no column {col!r} (the {name})")
    text = comments[text_col].fillna("").astype(str)
    return pd.DataFrame({"_raw": text, "_text": text, "_lang": comments[language_col].map(primary)}, index=comments.index)


def _factorise(x, k: int | None, max_k: int, random_state: int):
    n = x.shape[0]
    if k is not None:
        if not isinstance(k, int) or k < 1:
            raise AnalyticsError(f"k must be a whole number of themes, at least 1, not {k!r}")
        return _nmf(x, min(k, n, x.shape[1]), random_state)
    best, best_score = None, -2.0
    sample = min(n, 3000)
    for candidate in range(2, min(max_k, n - 1, x.shape[1]) + 1):
        weights, components = _nmf(x, candidate, random_state)
        assigned = weights.argmax(axis=1)
        if len(set(assigned)) < 2:
            continue
        score = silhouette_score(x, assigned, metric="cosine", sample_size=sample, random_state=random_state)
        if score > best_score:
            best, best_score = (weights, components), score
    return best if best is not None else _nmf(x, 1, random_state)


def _nmf(x, k: int, random_state: int):
    model = NMF(n_components=k, init="nndsvda", random_state=random_state, max_iter=500)
    # scikit-learn reports the fit's error as the square root of a difference, which for a fit that is
    # nearly exact rounds a hair below zero: numpy then warns of the square root of a negative number
    # (and the error reads NaN). The factors are not touched by it; only the warning is kept off the console.
    with np.errstate(invalid="ignore"):
        weights = model.fit_transform(x)
    return weights, model.components_


# Trends and alerts ------------------------------------------------------------------------------

def theme_trend(labels: pd.Series, times, freq: str = "M") -> pd.DataFrame:
    """Comments per theme and period: a frame indexed by period with one column per theme (-1 left out),
    and 'all' for every comment of the period."""
    period = _periods(times, freq, labels.index)
    counts = pd.crosstab(period, labels)
    counts = counts.drop(columns=[-1], errors="ignore")
    counts["all"] = period.value_counts().reindex(counts.index).fillna(0).astype(int)
    return counts.sort_index()


def _periods(times, freq: str, index) -> pd.Series:
    stamps = pd.to_datetime(pd.Series(np.asarray(times), index=index), utc=True).dt.tz_localize(None)
    return stamps.dt.to_period(freq).rename("period")


def theme_spikes(trend: pd.DataFrame, alpha: float = 0.001, min_count: int = 5, min_ratio: float = 1.5,
                 baseline_periods: int = 6) -> pd.DataFrame:
    """Themes whose share of the latest period's comments is above their share in the periods before,
    beyond what chance explains (a one-sided binomial test at `alpha`, Bonferroni-divided by the number of
    themes tested, so that many themes do not mean many false alarms), at least `min_ratio` times the
    baseline and with at least `min_count` comments."""
    columns = ["theme", "period", "count", "share", "baseline_share", "p_value"]
    if len(trend) < 2:
        return pd.DataFrame(columns=columns)
    last, base = trend.iloc[-1], trend.iloc[-1 - baseline_periods:-1]
    n_last, n_base = int(last["all"]), int(base["all"].sum())
    rows = []
    tested = [c for c in trend.columns if c != "all"]
    for theme in tested:
        x, xb = int(last[theme]), int(base[theme].sum())
        if n_last == 0 or n_base == 0 or x < min_count:
            continue
        p0 = max((xb + 0.5) / (n_base + 1), 1e-6)  # a theme new this period gets a small baseline, not zero
        share = x / n_last
        if share < min_ratio * p0:
            continue
        p = stats.binomtest(x, n_last, p0, alternative="greater").pvalue
        if p < alpha / len(tested):
            rows.append({"theme": theme, "period": str(trend.index[-1]), "count": x, "share": round(share, 4),
                         "baseline_share": round(xb / n_base, 4), "p_value": float(p)})
    return pd.DataFrame(rows, columns=columns)
