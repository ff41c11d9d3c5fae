"""Reads of the screening data for the verifier: what NPPES says about a license, whether a
training provider is recognised, the state board's lookup, and the exclusion matches."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, QuerySet

from directory.models import Practitioner

from .models import BoardLookup, ExclusionMatch, NppesRecord, TrainingProvider


def folded(text: str) -> str:
    """Lower case, accents and punctuation removed, spaces collapsed: how names are compared."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.casefold()).split())


def license_number_key(number: str) -> str:
    """A license number as boards and NPPES both write it: letters and digits only, upper
    case, leading zeros dropped ("PT-00123" and "pt123" are the same license)."""
    return re.sub(r"[^0-9A-Z]", "", (number or "").upper()).lstrip("0")


@dataclass(frozen=True)
class NppesCheck:
    """What the imported NPPES data says about one license: `outcome` is "match" (NPI, name,
    license number and state all agree), "differs" (`differences` says what), "no_npi"
    (the practitioner has none on record) or "not_found" (NPPES does not have that NPI)."""

    outcome: str
    npi: str
    record: NppesRecord | None = None
    differences: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        if self.outcome == "match":
            return f"NPPES agrees: NPI {self.npi}, name, license number and state."
        if self.outcome == "no_npi":
            return "No NPI on record for this practitioner: NPPES cannot be checked."
        if self.outcome == "not_found":
            return f"NPI {self.npi} is not in the imported NPPES data."
        return "NPPES differs: " + " ".join(self.differences)


def nppes_records(npis: Iterable[str]) -> dict[str, NppesRecord]:
    return {record.npi: record for record in NppesRecord.objects.filter(npi__in={npi for npi in npis if npi})}


def nppes_check(credential, *, record: NppesRecord | None = None, looked_up: bool = False) -> NppesCheck:
    """Compare a license (a credentials.Credential of kind license) with its practitioner's
    NPPES record. Pass `record` (None too, with looked_up=True) when it was loaded in bulk."""
    practitioner = credential.practitioner
    npi = practitioner.npi or ""
    if not npi:
        return NppesCheck("no_npi", npi)
    if not looked_up:
        record = NppesRecord.objects.filter(npi=npi).first()
    if record is None:
        return NppesCheck("not_found", npi)

    differences = []
    if record.entity_type == "2":
        differences.append(f"NPI {npi} belongs to an organisation ({record.organization_name}).")
    else:
        words = set(folded(practitioner.name).split())
        if not ({folded(record.last_name)} | set(folded(record.last_name).split())) & words or (
            record.first_name and folded(record.first_name).split()[0] not in words
        ):
            differences.append(f"NPPES name is {record.display_name}, listed here as {practitioner.name}.")
    if record.is_deactivated():
        differences.append(f"The NPI was deactivated on {record.deactivated_on:%Y-%m-%d}.")
    key = license_number_key(credential.license_number)
    licenses = [entry for entry in record.licenses or [] if isinstance(entry, dict)]
    in_state = [entry for entry in licenses if entry.get("state") == credential.jurisdiction]
    if not any(license_number_key(entry.get("number", "")) == key for entry in in_state):
        if in_state:
            numbers = ", ".join(sorted({entry.get("number", "") for entry in in_state}))
            differences.append(
                f"NPPES has license {numbers} in {credential.jurisdiction}, not {credential.license_number}."
            )
        else:
            states = ", ".join(sorted({entry.get("state", "") for entry in licenses if entry.get("state")})) or "none"
            differences.append(f"NPPES has no license in {credential.jurisdiction} (its license states: {states}).")
    return NppesCheck("differs" if differences else "match", npi, record, differences)


def recognised_provider_names() -> set[str]:
    """Every name and alias of the recognised training providers, folded."""
    names = set()
    for provider in TrainingProvider.objects.only("name", "aliases"):
        names.update(folded(name) for name in provider.names())
    return names


def provider_recognised(issuer: str, names: set[str] | None = None) -> bool:
    return folded(issuer) in (recognised_provider_names() if names is None else names)


def board_lookup(state: str) -> BoardLookup | None:
    return BoardLookup.objects.filter(state=state).first() if state else None


def standing_match_exists() -> Exists:
    """For a credential queryset: its practitioner has a standing exclusion match."""
    return Exists(ExclusionMatch.objects.standing().filter(practitioner_id=OuterRef("practitioner_id")))


def practitioner_matches(practitioner: Practitioner) -> QuerySet[ExclusionMatch]:
    return (
        ExclusionMatch.objects.filter(practitioner=practitioner)
        .select_related("exclusion")
        .prefetch_related("decisions__decided_by")
        .order_by("-found_at", "-id")
    )
