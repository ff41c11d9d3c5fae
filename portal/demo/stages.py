"""The demo pipeline: a plan shared by five stages (clinics, locations, practitioners,
listings, links), each drawing from its own random stream, and `seed()` running them."""

from __future__ import annotations

import datetime
import random
import sys
import time
from array import array
from bisect import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import accumulate, islice

from django.utils import timezone
from django.utils.text import slugify
from tqdm import tqdm

from core import clock
from directory.models import Clinic, Language, Listing, Location, Practitioner, Specialty, Technique
from directory.validators import npi_check_digit

from .data import (
    BIO_TEMPLATES,
    BRANDS,
    CLINIC_KINDS,
    CLINIC_SIZES,
    COMPASS,
    LANGUAGE_RATES,
    NAME_ORIGINS,
    PROFESSION_NOUNS,
    SPANISH_STATES,
    SPECIALTIES,
    STREET_TYPES,
    STREETS,
    TECHNIQUES,
)
from .geography import ANCHOR_ZIPS, LonLat, Zip, jitter, zip_table
from .sinks import Sink, default_sink, directory_tables

# --------------------------------------------------------------------------
# The plan shared by the stages
# --------------------------------------------------------------------------


@dataclass(slots=True)
class PlannedLocation:
    id: int
    point: LonLat
    state: str
    accepting_new_patients: bool
    clinic_name: str


@dataclass(slots=True)
class PlannedClinic:
    index: int  # 0-based order in this run
    id: int
    kind: str
    size: int  # practitioners
    first_practitioner: int  # index of its first practitioner in this run
    zip: Zip  # of its first location
    locations: list[PlannedLocation] = field(default_factory=list)
    name: str = ""


@dataclass
class SeedResult:
    """What a run created: id ranges per model and row counts per table."""

    clinic_ids: range = range(0)
    location_ids: range = range(0)
    practitioner_ids: range = range(0)
    listing_ids: range = range(0)
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class SeedContext:
    practitioners: int
    seed: int
    today: datetime.date
    sink: Sink
    batch_size: int = 10_000
    progress: bool = True
    now: datetime.datetime = field(default_factory=timezone.now)
    clinics: list[PlannedClinic] = field(default_factory=list)
    # Per practitioner (by index): bit masks of its specialties | techniques << 32 | languages << 40.
    vocab_masks: array = field(default_factory=lambda: array("Q"))
    practitioner_first_id: int = 0
    # Per practitioner (by index): profession, name, verified training hours (the stand-in
    # until requalified), and the locations it is listed at (for the listings and the credentials).
    professions: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    hours: array = field(default_factory=lambda: array("H"))
    listed_at: list[list[PlannedLocation]] = field(default_factory=list)
    result: SeedResult = field(default_factory=SeedResult)

    def rng(self, stage: str) -> random.Random:
        """Each stage draws from its own stream, so changing one stage leaves the others' rows alone."""
        return random.Random(f"dry-needling-demo/{self.seed}/{stage}")

    def bar(self, stage: str, total: int) -> tqdm:
        return tqdm(
            total=total,
            desc=f"{stage:<13}",
            unit=" rows",
            unit_scale=True,
            file=sys.stderr,
            disable=not self.progress,
            mininterval=0.5,
            dynamic_ncols=True,
        )

    def counted(self, rows: Iterable, bar: tqdm) -> Iterator:
        """The rows, advancing bar every batch_size of them."""
        rows = iter(rows)
        while batch := list(islice(rows, self.batch_size)):
            yield from batch
            bar.update(len(batch))

    def write(self, model, columns: Sequence[str], rows: Iterable[tuple], bar: tqdm, key: str) -> int:
        """Write rows (one COPY), advancing bar; returns the row count."""
        before = bar.n
        self.sink.write(model, columns, self.counted(rows, bar))
        written = bar.n - before
        self.result.counts[key] = self.result.counts.get(key, 0) + written
        return written


# --------------------------------------------------------------------------
# Stages
# --------------------------------------------------------------------------


def weighted(rng: random.Random, population: Sequence, weights: Sequence[float]) -> Callable[[], object]:
    """A picker drawing exactly what `rng.choices(population, weights)[0]` would, the same
    random() call made the same way, without recomputing the cumulative weights each time:
    the practitioners stage's generation of 100,000 rows went from 1.7-1.8 s to 1.1-1.2 s of CPU."""
    cum_weights = list(accumulate(weights))
    total, hi, random_ = cum_weights[-1] + 0.0, len(population) - 1, rng.random
    return lambda: population[bisect(cum_weights, random_() * total, 0, hi)]


def _clinic_size(rng: random.Random) -> int:
    sizes, weights = zip(*CLINIC_SIZES)
    size = rng.choices(sizes, weights=weights)[0]
    return size if isinstance(size, int) else rng.choice(size)


def _place(rng: random.Random, city: str) -> str:
    roll = rng.random()
    if roll < 0.12:
        return f"{rng.choice(COMPASS[:4])} {city}"
    if roll < 0.16:
        return f"Downtown {city}"
    return city


def _surname(rng: random.Random) -> str:
    origins = list(NAME_ORIGINS.values())
    return rng.choice(rng.choices(origins, weights=[o[0] for o in origins])[0][3])


def _phone(rng: random.Random, z: Zip) -> str:
    # 555-0100..0199 are reserved for fiction; the area code is the ZIP's own.
    area = rng.choice(z.area_codes) if z.area_codes else f"{rng.randint(2, 9)}{rng.randint(0, 8)}{rng.randint(0, 9)}"
    return f"({area}) 555-01{rng.randint(0, 99):02d}"


def seed_clinics(ctx: SeedContext) -> range:
    """Stage 1: clinics, with their size and kind, until every practitioner has a clinic."""
    rng = ctx.rng("clinics")
    table = zip_table()
    kinds = list(CLINIC_KINDS)
    kind_weights = [CLINIC_KINDS[k][0] for k in kinds]
    remaining, plans = ctx.practitioners, []
    while remaining > 0:
        index = len(plans)
        size = _clinic_size(rng)
        if index < len(ANCHOR_ZIPS):
            z = table.by_code[ANCHOR_ZIPS[index]]
            size = min(size, max(1, ctx.practitioners // (2 * len(ANCHOR_ZIPS))))
        else:
            z = table.pick(rng)
        size = min(size, remaining)
        plans.append(
            PlannedClinic(index, 0, rng.choices(kinds, weights=kind_weights)[0], size, ctx.practitioners - remaining, z)
        )
        remaining -= size

    start = ctx.sink.reserve_ids(Clinic, len(plans)) if plans else 1
    for plan in plans:
        plan.id = start + plan.index
    ctx.clinics = plans

    def rows() -> Iterator[tuple]:
        for plan in plans:
            pattern = rng.choice(CLINIC_KINDS[plan.kind][2])
            name = pattern.format(
                place=_place(rng, plan.zip.city),
                surname=_surname(rng),
                surname2=_surname(rng),
                brand=rng.choice(BRANDS),
            )
            plan.name = name
            slug = f"{slugify(name)[:200]}-{plan.index + 1}"
            has_site = rng.random() < 0.7
            website = f"https://www.{slug}.example" if has_site else ""
            email = f"frontdesk@{slug}.example" if has_site and rng.random() < 0.8 else ""
            yield (plan.id, ctx.now, ctx.now, name, slug, website, _phone(rng, plan.zip), email)

    columns = ("id", "created_at", "updated_at", "name", "slug", "website", "phone", "email")
    with ctx.bar("clinics", len(plans)) as bar:
        ctx.write(Clinic, columns, rows(), bar, "clinics")
    ctx.result.clinic_ids = range(start, start + len(plans))
    return ctx.result.clinic_ids


def _location_count(rng: random.Random, size: int) -> int:
    if size <= 2:
        return 1 if rng.random() < 0.9 else 2
    return rng.choices((1, 2, 3), weights=(55, 30, 15))[0]


def seed_locations(ctx: SeedContext) -> range:
    """Stage 2: 1-3 locations per clinic (bigger clinics have more), branches near the first."""
    rng = ctx.rng("locations")
    table = zip_table()
    counts = [_location_count(rng, plan.size) for plan in ctx.clinics]
    total = sum(counts)
    start = ctx.sink.reserve_ids(Location, total) if total else 1

    def rows() -> Iterator[tuple]:
        next_id = start
        for plan, count in zip(ctx.clinics, counts):
            zips = [plan.zip]
            branches = table.branches(plan.zip.code)
            for _ in range(count - 1):
                zips.append(rng.choice(branches) if branches else plan.zip)
            seen_names = set()
            for z in zips:
                point = jitter(rng, z)
                name = ""
                if count > 1:
                    name = z.city if z.city not in seen_names else f"{rng.choice(COMPASS)} {z.city}"
                    seen_names.add(name)
                address = f"{rng.randint(100, 9899)} {rng.choice(STREETS)} {rng.choice(STREET_TYPES)}"
                if rng.random() < 0.4:
                    address += f", Suite {rng.randint(1, 4)}{rng.randint(0, 3)}{rng.randint(0, 9)}"
                accepting = rng.random() < 0.85
                plan.locations.append(PlannedLocation(next_id, point, z.state, accepting, plan.name))
                yield (
                    next_id,
                    ctx.now,
                    ctx.now,
                    plan.id,
                    name,
                    address,
                    z.city,
                    z.state,
                    z.code,
                    point,
                    _phone(rng, z),
                    accepting,
                )
                next_id += 1

    columns = (
        "id",
        "created_at",
        "updated_at",
        "clinic_id",
        "name",
        "address",
        "city",
        "state",
        "postal_code",
        "point",
        "phone",
        "accepting_new_patients",
    )
    with ctx.bar("locations", total) as bar:
        ctx.write(Location, columns, rows(), bar, "locations")
    ctx.result.location_ids = range(start, start + total)
    return ctx.result.location_ids


def _pick_weighted_set(rng: random.Random, items: Sequence[str], cum_weights: Sequence[float], k: int) -> list[str]:
    """k distinct items, likelier ones more often (weighted sampling without replacement)."""
    chosen: list[str] = []
    total, hi, random_ = cum_weights[-1] + 0.0, len(items) - 1, rng.random
    while len(chosen) < k:
        item = items[bisect(cum_weights, random_() * total, 0, hi)]  # rng.choices(items, cum_weights)[0]
        if item not in chosen:
            chosen.append(item)
    return chosen


def _npi(index: int) -> str:
    """A valid, unique NPI per practitioner index: an odd-multiplier permutation of 1xxxxxxxx-2xxxxxxxx."""
    first_nine = str(100_000_000 + (index * 7_919_993 + 12_345) % 200_000_000)
    return first_nine + str(npi_check_digit(first_nine))


def seed_practitioners(ctx: SeedContext) -> range:
    """Stage 3: practitioners, their profession by clinic kind, and (as masks) their vocabulary."""
    rng = ctx.rng("practitioners")
    origins = list(NAME_ORIGINS.values())
    origin_weights = [o[0] for o in origins]
    english = NAME_ORIGINS["english"]
    spec_slugs = list(SPECIALTIES)
    spec_cum_weights = list(accumulate(SPECIALTIES[s][0] for s in spec_slugs))
    tech_slugs = list(TECHNIQUES)
    lang_codes = [code for code, _ in language_order()]
    lang_bit = {code: 1 << i for i, code in enumerate(lang_codes)}
    name_slugs: dict[str, str] = {}
    start = ctx.sink.reserve_ids(Practitioner, ctx.practitioners) if ctx.practitioners else 1
    ctx.practitioner_first_id = start
    ctx.vocab_masks = array("Q", bytes(8 * ctx.practitioners))
    ctx.professions = [""] * ctx.practitioners
    ctx.names = [""] * ctx.practitioners
    ctx.hours = array("H", bytes(2 * ctx.practitioners))

    def slug_of(text: str) -> str:
        if text not in name_slugs:
            name_slugs[text] = slugify(text)
        return name_slugs[text]

    pick_origin = weighted(rng, origins, origin_weights)
    pick_profession = {kind: weighted(rng, *zip(*spec[1].items())) for kind, spec in CLINIC_KINDS.items()}
    pick_count = weighted(rng, (2, 3, 4, 5), (25, 35, 25, 15))
    pick_sessions = weighted(rng, (3, 4, 5, 6, 8), (10, 30, 30, 20, 10))
    pick_hours = weighted(rng, (27, 30, 40, 54, 60, 72, 80, 100, 120, 150, 200), (8, 6, 8, 14, 12, 10, 10, 8, 8, 6, 4))

    def rows() -> Iterator[tuple]:
        for plan in ctx.clinics:
            draw_profession = pick_profession[plan.kind]
            state = plan.zip.state
            for index in range(plan.first_practitioner, plan.first_practitioner + plan.size):
                origin = pick_origin()
                first_pool = origin[2] if rng.random() < 0.75 else english[2]
                first, last = rng.choice(first_pool), rng.choice(origin[3])
                name = f"{first} {last}"
                ctx.names[index] = name
                slug = f"{slug_of(first)}-{slug_of(last)}-{index + 1}"
                profession = draw_profession()
                ctx.professions[index] = profession

                specialties = _pick_weighted_set(rng, spec_slugs, spec_cum_weights, pick_count())
                techniques = [t for t in tech_slugs if rng.random() < TECHNIQUES[t][0]]
                if not techniques:
                    techniques = [rng.choices(tech_slugs, weights=[TECHNIQUES[t][0] for t in tech_slugs])[0]]
                languages = {"en"} if rng.random() < 0.97 else set()
                if origin[1] and rng.random() < 0.45:
                    languages.add(origin[1])
                for code, rate in LANGUAGE_RATES.items():
                    if code == "es" and state in SPANISH_STATES:
                        rate *= 2.2
                    if rng.random() < rate:
                        languages.add(code)
                if not languages:
                    languages.add(origin[1] or "en")
                mask = 0
                for s in specialties:
                    mask |= 1 << spec_slugs.index(s)
                for t in techniques:
                    mask |= 1 << (32 + tech_slugs.index(t))
                for code in languages:
                    mask |= lang_bit.get(code, 0) << 40
                ctx.vocab_masks[index] = mask

                years = None if rng.random() < 0.1 else min(25, 1 + int(rng.expovariate(1 / 5)))
                sessions = None if rng.random() < 0.15 else pick_sessions()
                hours = pick_hours()
                hours = min(200, max(24, hours + rng.randint(-3, 12)))
                ctx.hours[index] = hours
                npi = _npi(index) if profession != "ATC" and rng.random() < 0.65 else ""
                bio = rng.choice(BIO_TEMPLATES).format(
                    first=first,
                    noun=PROFESSION_NOUNS[profession],
                    years=("several years" if years is None else f"{years} year{'s' if years != 1 else ''}"),
                    spec1=SPECIALTIES[specialties[0]][1],
                    spec2=SPECIALTIES[specialties[1]][1],
                    spec3=SPECIALTIES[specialties[-1]][1] if len(specialties) > 2 else "sports injuries",
                    tech=TECHNIQUES[techniques[0]][1],
                )
                yield (
                    start + index,
                    ctx.now,
                    ctx.now,
                    name,
                    slug,
                    profession,
                    npi,
                    f"{slug}@example.com",
                    bio,
                    years,
                    sessions,
                    hours,
                )

    columns = (
        "id",
        "created_at",
        "updated_at",
        "name",
        "slug",
        "profession",
        "npi",
        "email",
        "bio",
        "years_dry_needling",
        "typical_sessions",
        "verified_training_hours",
    )
    with ctx.bar("practitioners", ctx.practitioners) as bar:
        ctx.write(Practitioner, columns, rows(), bar, "practitioners")
    ctx.result.practitioner_ids = range(start, start + ctx.practitioners)
    return ctx.result.practitioner_ids


def demo_qualification(rng: random.Random, today: datetime.date) -> tuple[datetime.date, datetime.date] | None:
    """A stand-in for the credentials app's qualified days: most qualified for 1-3 years more
    (since up to 5 years back), 12% never, 3% lapsed."""
    roll = rng.random()
    if roll < 0.12:
        return None
    if roll < 0.15:
        until = today - datetime.timedelta(days=rng.randint(1, 400))
    else:
        until = today + datetime.timedelta(days=rng.randint(365, 3 * 365))
    return min(until, today) - datetime.timedelta(days=rng.randint(0, 5 * 365)), until


def seed_listings(
    ctx: SeedContext,
    qualification: Callable[
        [random.Random, datetime.date], tuple[datetime.date, datetime.date] | None
    ] = demo_qualification,
) -> range:
    """Stage 4: each practitioner at 1-3 of its clinic's locations (every location staffed).

    The listing copies its location's point, state, accepting_new_patients and
    clinic's name, and its practitioner's name, term ids, profession and hours. The qualified days
    are one run per practitioner; a listing in another state than their
    first is sometimes unqualified (no license there).
    """
    rng = ctx.rng("listings")
    # Drawn first so the count (and the id block) is known before writing.
    choices: list[list[PlannedLocation]] = []
    pick_wanted = weighted(rng, (1, 2, 3), (75, 20, 5))
    for plan in ctx.clinics:
        locations = plan.locations
        for offset in range(plan.size):
            home = locations[offset % len(locations)]
            wanted = min(len(locations), pick_wanted())
            others = [loc for loc in locations if loc is not home]
            choices.append([home, *rng.sample(others, wanted - 1)])
    ctx.listed_at = choices
    total = sum(len(c) for c in choices)
    start = ctx.sink.reserve_ids(Listing, total) if total else 1

    relations = term_bits()
    masks, professions, hours, names = ctx.vocab_masks, ctx.professions, ctx.hours, ctx.names
    copies: dict[int, tuple[list[int], list[int], list[int]]] = {}

    def rows() -> Iterator[tuple]:
        next_id = start
        for index, locations in enumerate(choices):
            practitioner_id = ctx.practitioner_first_id + index
            days = qualification(rng, ctx.today)
            home_state = locations[0].state
            mask = masks[index]
            # The listing's copies of its practitioner's search facts, as
            # directory.services.listings_refresh_filters writes them (term ids ascending);
            # practitioners share masks, so each mask's lists are made once.
            term_ids = copies.get(mask)
            if term_ids is None:
                term_ids = copies[mask] = tuple(
                    sorted(term_id for bit, term_id in bits if mask & bit) for _, _, _, bits in relations
                )
            specialty_ids, technique_ids, language_ids = term_ids
            for loc in locations:
                first, last = days if days and (loc.state == home_state or rng.random() < 0.75) else (None, None)
                yield (
                    next_id,
                    practitioner_id,
                    loc.id,
                    loc.point,
                    loc.state,
                    first,
                    last,
                    specialty_ids,
                    technique_ids,
                    language_ids,
                    professions[index],
                    hours[index],
                    loc.accepting_new_patients,
                    names[index],
                    loc.clinic_name,
                )
                next_id += 1

    columns = (
        "id",
        "practitioner_id",
        "location_id",
        "point",
        "state",
        "qualified_from",
        "qualified_until",
        "specialty_ids",
        "technique_ids",
        "language_ids",
        "profession",
        "verified_training_hours",
        "accepting_new_patients",
        "practitioner_name",
        "clinic_name",
    )
    with ctx.bar("listings", total) as bar:
        ctx.write(Listing, columns, rows(), bar, "listings")
    ctx.result.listing_ids = range(start, start + total)
    return ctx.result.listing_ids


@cache
def language_order() -> tuple[tuple[str, float], ...]:
    """Language codes in a fixed order (bit positions in the masks)."""
    return (("en", 1.0), *LANGUAGE_RATES.items())


def term_bits() -> list[tuple[str, type, str, list[tuple[int, int]]]]:
    """(relation, link model, term column, [(bit in a practitioner's mask, term id), ...]) for
    the specialties, techniques and languages, in that order. Vocabulary terms missing from
    the database are left out, not invented."""
    spec_ids = dict(Specialty.objects.values_list("slug", "id"))
    tech_ids = dict(Technique.objects.values_list("slug", "id"))
    lang_ids = dict(Language.objects.values_list("code", "id"))
    relations = (
        ("specialties", Practitioner.specialties.through, "specialty_id", 0, [spec_ids.get(s) for s in SPECIALTIES]),
        ("techniques", Practitioner.techniques.through, "technique_id", 32, [tech_ids.get(t) for t in TECHNIQUES]),
        (
            "languages",
            Practitioner.languages.through,
            "language_id",
            40,
            [lang_ids.get(c) for c, _ in language_order()],
        ),
    )
    return [
        (name, through, column, [(1 << (shift + i), term_id) for i, term_id in enumerate(ids) if term_id is not None])
        for name, through, column, shift, ids in relations
    ]


def seed_links(ctx: SeedContext) -> dict[str, int]:
    """Stage 5: the specialty, technique and language rows of every practitioner (from stage 3's masks)."""
    written = {}
    first_id = ctx.practitioner_first_id
    masks = ctx.vocab_masks
    for name, through, column, bits in term_bits():
        total = sum(1 for mask in masks for bit, _ in bits if mask & bit)

        def rows(bits=bits) -> Iterator[tuple]:
            for index, mask in enumerate(masks):
                for bit, vocab_id in bits:
                    if mask & bit:
                        yield (first_id + index, vocab_id)

        with ctx.bar(name, total) as bar:
            written[name] = ctx.write(through, ("practitioner_id", column), rows(), bar, name)
    return written


STAGES = (seed_clinics, seed_locations, seed_practitioners, seed_listings, seed_links)


def seed(
    *,
    practitioners: int,
    seed: int = 1,
    today: datetime.date | None = None,
    batch_size: int = 10_000,
    progress: bool = True,
    sink: Sink | None = None,
    stages: Sequence[Callable[[SeedContext], object]] = STAGES,
    tables: Sequence[str] | None = None,
    settle: Sequence[Callable[[SeedContext], object]] = (),
) -> SeedResult:
    """Load a demo directory of `practitioners` practitioners; the same seed gives the same rows.

    `today` is the reference date for qualified_until (default: today).
    Runs the stages in order inside the sink's `loading` of `tables` (what the
    stages write; default: the directory's tables), then, still inside it
    (the indexes away) and after an ANALYZE, the `settle` steps (what derives
    from everything loaded: seed_demo requalifies every practitioner from the
    credentials); then refreshes planner statistics. The listings are written
    with their copies of the search facts (see Listing) already in them.
    Seconds per stage and settle step, for the index builds after the load
    ("indexes") and for the statistics ("analyze") are in the result.
    """
    ctx = SeedContext(
        practitioners=practitioners,
        seed=seed,
        today=today or clock.today(),
        sink=sink or default_sink(),
        batch_size=batch_size,
        progress=progress,
    )
    tables = list(tables or directory_tables())
    with ctx.sink.loading(tables):
        for stage in stages:
            began = time.perf_counter()
            stage(ctx)
            ctx.result.seconds[stage.__name__.removeprefix("seed_")] = time.perf_counter() - began
        # The settle steps are set-based and run while the indexes are away: they rewrite
        # most listings and practitioners, and no index has to follow (requalifying 1M
        # practitioners with the indexes in place took 231.7 s; bench/README.md, "seed").
        # The tables are analyzed first: loaded in this transaction, they have no
        # statistics yet, and the planner took them for empty (nested loops over a million
        # rows each).
        if settle:
            began = time.perf_counter()
            ctx.sink.finish(tables)
            ctx.result.seconds["analyze_loaded"] = time.perf_counter() - began
        for step in settle:
            began = time.perf_counter()
            step(ctx)
            ctx.result.seconds[step.__name__.removeprefix("settle_")] = time.perf_counter() - began
        began = time.perf_counter()
    ctx.result.seconds["indexes"] = time.perf_counter() - began
    began = time.perf_counter()
    ctx.sink.finish(tables)
    ctx.result.seconds["analyze"] = time.perf_counter() - began
    return ctx.result
