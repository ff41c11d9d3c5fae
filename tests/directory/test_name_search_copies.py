"""The listings' trigram index over both names finds every listing the name condition matches.

The practitioner search asks the trigram index over `models.names_key`
(the practitioner's and the clinic's names in one text) for candidates,
and checks the exact condition (`name_matches` on each name: substring
in any case, ILIKE, or pg_trgm word similarity) on them only. That is right only if every listing the exact condition
matches is a candidate, for any names and any text: checked here against
PostgreSQL itself, with the Django expressions the search uses, through
the index, on names with the characters whose case rules differ
(dotless ı, ſ, ß, final ς, µ), accents, LIKE's wildcards and separators.
"""

import random

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.db import planner_settings
from directory import selectors
from directory.models import Listing
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db

ALPHABET = "abeghnuyANGUYEHkoKOfrR ıİſßςΣσµμéÉèñØøẞ-'./%_\\"
ROWS = 6


def mutate(text: str, rng: random.Random) -> str:
    """A typo: one character replaced, dropped or doubled."""
    if not text:
        return text
    i = rng.randrange(len(text))
    return rng.choice(
        [text[:i] + rng.choice(ALPHABET) + text[i + 1 :], text[:i] + text[i + 1 :], text[:i] + text[i] + text[i:]]
    )


def query_for(names: list[tuple[str, str]], rng: random.Random) -> str:
    """Mostly a piece of one of the names (sometimes misspelt), else random text."""
    source = rng.choice([name for pair in names for name in pair])
    if source and rng.random() < 0.75:
        i = rng.randrange(len(source))
        text = source[i : rng.randint(i + 1, len(source))]
        if rng.random() < 0.5:
            text = mutate(text, rng)
    else:
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 8)))
    return text.strip() or "a"


@pytest.fixture
def rows():
    listings = [ListingFactory() for _ in range(ROWS)]
    return [listing.pk for listing in listings]


names = st.text(alphabet=ALPHABET, max_size=24)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=st.lists(st.tuples(names, names), min_size=ROWS, max_size=ROWS), seed=st.integers(0, 2**32))
def test_every_match_is_a_candidate_of_the_index(rows, pairs, seed):
    rng = random.Random(seed)
    for pk, (practitioner_name, clinic_name) in zip(rows, pairs):
        Listing.objects.filter(pk=pk).update(practitioner_name=practitioner_name, clinic_name=clinic_name)
    for _ in range(4):
        text = query_for(pairs, rng)
        exact = set(Listing.objects.filter(selectors.listing_name_matches(text)).values_list("pk", flat=True))
        # Through the index: the bitmap of both halves, then its recheck of the rows.
        with planner_settings({"enable_seqscan": "off", "enable_indexscan": "off"}):
            candidates = set(
                Listing.objects.filter(selectors.listing_names_candidates(text)).values_list("pk", flat=True)
            )
        assert exact <= candidates, (text, pairs)


def test_the_candidates_come_from_the_index():
    ListingFactory()
    candidates = Listing.objects.filter(selectors.listing_names_candidates("Nguyen")).values("pk")
    with planner_settings({"enable_seqscan": "off", "enable_indexscan": "off"}):
        plan = candidates.explain()
    # Both halves of the condition (ILIKE and word similarity) from the one index.
    assert plan.count("Bitmap Index Scan on listing_names_trgm") == 2


def test_many_names_at_once_against_postgresql():
    """The two claims behind the indexes, over 20,000 random names and texts in one statement:
    a substring of a name in any case (ILIKE) is one of the key, and word similarity over the
    key is at least that over either name."""
    rng = random.Random(20261204)
    triples = []
    for _ in range(20_000):
        pair = ("".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 20))) for _ in range(2))
        pair = tuple(pair)
        triples.append((*pair, query_for([pair], rng)))
    # The key written out below is the index's expression, as a real row shows.
    listing = ListingFactory()
    Listing.objects.filter(pk=listing.pk).update(practitioner_name="Anh ıſ", clinic_name="Kai µ")
    [key] = Listing.objects.filter(pk=listing.pk).annotate(key=selectors.names_key()).values_list("key", flat=True)
    assert key == "Anh ıſ / Kai µ"
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT p, c, q,
                   (p ILIKE pattern OR p %%> q OR c ILIKE pattern OR c %%> q),
                   (k ILIKE pattern OR k %%> q),
                   greatest(word_similarity(q, p), word_similarity(q, c)) <= word_similarity(q, k)
            FROM unnest(%s::text[], %s::text[], %s::text[]) AS t(p, c, q),
                 LATERAL (SELECT '%%' || replace(replace(replace(q, '\\', '\\\\'), '%%', '\\%%'), '_', '\\_') || '%%')
                     AS e(pattern),
                 LATERAL (SELECT p || ' / ' || c) AS kk(k)
            """,
            [[t[0] for t in triples], [t[1] for t in triples], [t[2] for t in triples]],
        )
        results = cursor.fetchall()
    assert len(results) == len(triples)
    assert sum(exact for _, _, _, exact, _, _ in results) > 2_000  # the texts do match, often
    assert [row[:3] for row in results if row[3] and not row[4]] == []
    assert [row[:3] for row in results if not row[5]] == []


def test_the_name_ranges_are_estimated_from_a_fine_histogram():
    """The ranged search's first range ends about 1% into the listings; with the default
    100 buckets the planner could estimate 1 row there and drop the trigram bitmap
    (migration 0024). The seed's loads keep the setting."""
    from django.core.management import call_command

    call_command("seed_demo", "--practitioners=20", "--no-credentials", "--verbosity=0")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute "
            "WHERE attrelid = 'directory_listing'::regclass AND attname = 'practitioner_name'"
        )
        assert cursor.fetchone() == (500,)
