"""Time the other directory reads on an already loaded database (run bench/search.py first).

    DATABASE_URL=postgis://... python bench/searches.py [--repeat 9]

Prints the median wall time of each request through the API (django.test.Client),
for the searches bench/search.py does not time: name search, rare filters,
no place at all, clinics and a profile.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time

import benchenv  # noqa: F401  (sets up Django; must come before any Django import)
from django.test import Client  # noqa: E402

from directory import geocoding  # noqa: E402
from directory.models import Listing, Practitioner  # noqa: E402

REQUESTS = [
    ("/api/v1/practitioners/", {"zip": "77002", "q": "Okafor"}),
    ("/api/v1/practitioners/", {"zip": "77002", "q": "Smith"}),
    ("/api/v1/practitioners/", {"zip": "10001", "q": "Zhang"}),
    ("/api/v1/practitioners/", {"zip": "77002", "language": "ht"}),
    ("/api/v1/practitioners/", {"zip": "77002", "profession": "PA", "language": "ko"}),
    ("/api/v1/practitioners/", {"zip": "59001", "radius_km": 500}),
    ("/api/v1/practitioners/", {}),
    ("/api/v1/practitioners/", {"specialty": "tmj"}),
    ("/api/v1/practitioners/", {"q": "Nguyen"}),
    ("/api/v1/clinics/", {"zip": "77002"}),
    ("/api/v1/clinics/", {"zip": "98101", "q": "physical"}),
    ("/api/v1/clinics/", {}),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9, help="requests per row (default 9); the median is printed")
    args = parser.parse_args()

    geocoding.warm_up()
    gc.freeze()
    client = Client()
    print(f"Dataset: {Practitioner.objects.count():,} practitioners, {Listing.objects.count():,} listings")
    profile = client.get("/api/v1/practitioners/", {"zip": "10001", "include_unqualified": "true"}).json()["results"]
    requests = [*REQUESTS, *([(f"/api/v1/practitioners/{profile[0]['slug']}/", {})] if profile else [])]
    print(f"{'request':<75} {'status':>6} {'rows':>5} {'median ms':>10}")
    for path, params in requests:
        samples = []
        for _ in range(args.repeat):
            began = time.perf_counter()
            response = client.get(path, params)
            samples.append((time.perf_counter() - began) * 1000)
        body = response.json()
        rows = len(body["results"]) if "results" in body else 1
        label = path + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")
        print(f"{label:<75} {response.status_code:>6} {rows:>5} {statistics.median(samples):>10.1f}")


if __name__ == "__main__":
    main()
