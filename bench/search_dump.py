"""Write the practitioner search's JSON responses for many origins and filter combinations, one per line.

    DATABASE_URL=postgis://... python bench/search_dump.py OUT.jsonl [--origins 300] [--seed 1]

Reads only. Run it from two checkouts (before and after a change to the
search) against the same database and compare the files (`cmp`): a faster
search must return the same practitioners, in the same order, at the same
distances, each at the same location. Origins are metro ZIP centroids (as in
bench/search.py) plus a few drawn anywhere in the data, so sparse places
with short pages are covered too.
"""

from __future__ import annotations

import argparse
import json
import random
from urllib.parse import urlencode

import benchenv  # noqa: F401  sets up Django; must come before any Django import
from django.test import Client  # noqa: E402
from tqdm import tqdm  # noqa: E402

from directory.models import Language, Profession, Specialty, Technique  # noqa: E402
from portal import demo  # noqa: E402


def combinations(rng: random.Random) -> list[dict[str, str]]:
    """The bench's own query, every filter alone, and random mixes of them (with radii and limits)."""
    specialties = list(Specialty.objects.values_list("slug", flat=True))
    techniques = list(Technique.objects.values_list("slug", flat=True))
    languages = list(Language.objects.values_list("code", flat=True))
    fixed = [
        {"specialty": "low-back-pain", "technique": "deep-dry-needling", "limit": "20"},
        {},
        {"specialty": "low-back-pain"},
        {"technique": "deep-dry-needling"},
        {"language": "es"},
        {"profession": "PT,DC"},
        {"accepting_new_patients": "true"},
        {"accepting_new_patients": "false"},
        {"min_training_hours": "50"},
        {"include_unqualified": "true", "specialty": "neck-pain"},
    ]
    mixed = []
    for _ in range(10):
        params = {}
        if rng.random() < 0.6:
            params["specialty"] = ",".join(rng.sample(specialties, rng.randint(1, 2)))
        if rng.random() < 0.5:
            params["technique"] = ",".join(rng.sample(techniques, rng.randint(1, 2)))
        if rng.random() < 0.3:
            params["language"] = ",".join(rng.sample(languages, rng.randint(1, 2)))
        if rng.random() < 0.3:
            params["profession"] = ",".join(rng.sample(list(Profession.values), rng.randint(1, 3)))
        if rng.random() < 0.3:
            params["accepting_new_patients"] = rng.choice(["true", "false"])
        if rng.random() < 0.3:
            params["min_training_hours"] = str(rng.choice([10, 27, 40, 100]))
        if rng.random() < 0.2:
            params["include_unqualified"] = "true"
        params["radius_km"] = str(rng.choice([5, 15, 40, 120]))
        params["limit"] = str(rng.choice([5, 20, 50]))
        mixed.append(params)
    return fixed + mixed


def origins(count: int, rng: random.Random) -> list[tuple[float, float]]:
    table = demo.zip_table()
    points = []
    while len(points) < count:
        if len(points) % 10 == 9:  # one in ten anywhere, not only in the metros
            _, _, zips, _ = rng.choice(table.metros)
        else:
            _, _, zips, _ = rng.choices(table.metros, cum_weights=table.metro_cum_weights)[0]
        z = rng.choice(zips)
        points.append((z.lat, z.lon))
    return points


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--origins", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(f"search-dump/{args.seed}")
    combos = combinations(rng)
    points = origins(args.origins, rng)
    client = Client()
    with open(args.out, "w") as out:
        for index, (lat, lon) in enumerate(tqdm(points, desc="origins")):
            for params in (combos[0], combos[1 + index % (len(combos) - 1)]):
                query = {"near": f"{lat:.6f},{lon:.6f}", **params}
                response = client.get("/api/v1/practitioners/?" + urlencode(query), HTTP_ACCEPT="application/json")
                out.write(json.dumps({"query": query, "status": response.status_code, "body": response.json()}))
                out.write("\n")


if __name__ == "__main__":
    main()
