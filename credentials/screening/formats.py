"""The public files' layouts, as published, for the imports, the sample files and the benchmark.

Nothing here needs Django set up.
"""

from __future__ import annotations

import datetime

TAXONOMY_GROUPS = 15
OTHER_IDENTIFIER_GROUPS = 50

# The NPPES data dissemination file (npidata_pfile_YYYYMMDD-YYYYMMDD.csv): 330 columns.
NPPES_HEADER: tuple[str, ...] = (
    "NPI",
    "Entity Type Code",
    "Replacement NPI",
    "Employer Identification Number (EIN)",
    "Provider Organization Name (Legal Business Name)",
    "Provider Last Name (Legal Name)",
    "Provider First Name",
    "Provider Middle Name",
    "Provider Name Prefix Text",
    "Provider Name Suffix Text",
    "Provider Credential Text",
    "Provider Other Organization Name",
    "Provider Other Organization Name Type Code",
    "Provider Other Last Name",
    "Provider Other First Name",
    "Provider Other Middle Name",
    "Provider Other Name Prefix Text",
    "Provider Other Name Suffix Text",
    "Provider Other Credential Text",
    "Provider Other Last Name Type Code",
    "Provider First Line Business Mailing Address",
    "Provider Second Line Business Mailing Address",
    "Provider Business Mailing Address City Name",
    "Provider Business Mailing Address State Name",
    "Provider Business Mailing Address Postal Code",
    "Provider Business Mailing Address Country Code (If outside U.S.)",
    "Provider Business Mailing Address Telephone Number",
    "Provider Business Mailing Address Fax Number",
    "Provider First Line Business Practice Location Address",
    "Provider Second Line Business Practice Location Address",
    "Provider Business Practice Location Address City Name",
    "Provider Business Practice Location Address State Name",
    "Provider Business Practice Location Address Postal Code",
    "Provider Business Practice Location Address Country Code (If outside U.S.)",
    "Provider Business Practice Location Address Telephone Number",
    "Provider Business Practice Location Address Fax Number",
    "Provider Enumeration Date",
    "Last Update Date",
    "NPI Deactivation Reason Code",
    "NPI Deactivation Date",
    "NPI Reactivation Date",
    "Provider Sex Code",
    "Authorized Official Last Name",
    "Authorized Official First Name",
    "Authorized Official Middle Name",
    "Authorized Official Title or Position",
    "Authorized Official Telephone Number",
    *(
        name.format(n=n)
        for n in range(1, TAXONOMY_GROUPS + 1)
        for name in (
            "Healthcare Provider Taxonomy Code_{n}",
            "Provider License Number_{n}",
            "Provider License Number State Code_{n}",
            "Healthcare Provider Primary Taxonomy Switch_{n}",
        )
    ),
    *(
        name.format(n=n)
        for n in range(1, OTHER_IDENTIFIER_GROUPS + 1)
        for name in (
            "Other Provider Identifier_{n}",
            "Other Provider Identifier Type Code_{n}",
            "Other Provider Identifier State_{n}",
            "Other Provider Identifier Issuer_{n}",
        )
    ),
    "Is Sole Proprietor",
    "Is Organization Subpart",
    "Parent Organization LBN",
    "Parent Organization TIN",
    "Authorized Official Name Prefix Text",
    "Authorized Official Name Suffix Text",
    "Authorized Official Credential Text",
    *(f"Healthcare Provider Taxonomy Group_{n}" for n in range(1, TAXONOMY_GROUPS + 1)),
    "Certification Date",
)
assert len(NPPES_HEADER) == 330
_NPPES_INDEX = {name: i for i, name in enumerate(NPPES_HEADER)}

# The OIG's LEIE (UPDATED.csv).
LEIE_HEADER: tuple[str, ...] = (
    "LASTNAME",
    "FIRSTNAME",
    "MIDNAME",
    "BUSNAME",
    "GENERAL",
    "SPECIALTY",
    "UPIN",
    "NPI",
    "DOB",
    "ADDRESS",
    "CITY",
    "STATE",
    "ZIP",
    "EXCLTYPE",
    "EXCLDATE",
    "REINDATE",
    "WAIVERDATE",
    "WVRSTATE",
)


def mdy(day: datetime.date | None) -> str:
    return f"{day:%m/%d/%Y}" if day else ""


def ymd(day: datetime.date | None) -> str:
    return f"{day:%Y%m%d}" if day else "00000000"


def nppes_row(
    *,
    npi: str,
    entity_type: str = "1",
    last_name: str = "",
    first_name: str = "",
    organization_name: str = "",
    credential: str = "",
    city: str = "",
    state: str = "",
    licenses: list[tuple[str, str, str, bool]] = (),
    enumerated_on: datetime.date | None = None,
    deactivated_on: datetime.date | None = None,
    reactivated_on: datetime.date | None = None,
) -> list[str]:
    """One row of the NPPES file (330 values); `licenses` are (taxonomy, number, state, primary)."""
    row = [""] * len(NPPES_HEADER)

    def put(name: str, value: str) -> None:
        row[_NPPES_INDEX[name]] = value

    put("NPI", npi)
    put("Entity Type Code", entity_type)
    put("Provider Organization Name (Legal Business Name)", organization_name)
    put("Provider Last Name (Legal Name)", last_name)
    put("Provider First Name", first_name)
    put("Provider Credential Text", credential)
    put("Provider Business Practice Location Address City Name", city)
    put("Provider Business Practice Location Address State Name", state)
    put("Provider Business Mailing Address City Name", city)
    put("Provider Business Mailing Address State Name", state)
    put("Provider Enumeration Date", mdy(enumerated_on))
    put("Last Update Date", mdy(enumerated_on))
    put("NPI Deactivation Date", mdy(deactivated_on))
    put("NPI Reactivation Date", mdy(reactivated_on))
    if entity_type == "1":
        put("Is Sole Proprietor", "N")
    for n, (taxonomy, number, license_state, primary) in enumerate(licenses, start=1):
        put(f"Healthcare Provider Taxonomy Code_{n}", taxonomy)
        put(f"Provider License Number_{n}", number)
        put(f"Provider License Number State Code_{n}", license_state)
        put(f"Healthcare Provider Primary Taxonomy Switch_{n}", "Y" if primary else "N")
    return row


def leie_row(
    *,
    last_name: str = "",
    first_name: str = "",
    middle_name: str = "",
    business_name: str = "",
    general: str = "",
    specialty: str = "",
    npi: str = "",
    date_of_birth: datetime.date | None = None,
    address: str = "",
    city: str = "",
    state: str = "",
    postal_code: str = "",
    exclusion_type: str = "1128a1",
    excluded_on: datetime.date | None = None,
    reinstated_on: datetime.date | None = None,
    waiver_on: datetime.date | None = None,
    waiver_state: str = "",
) -> list[str]:
    """One row of UPDATED.csv, with the file's conventions for "none" (0000000000, 00000000)."""
    return [
        last_name.upper(),
        first_name.upper(),
        middle_name.upper(),
        business_name.upper(),
        general.upper(),
        specialty.upper(),
        "",
        npi or "0000000000",
        ymd(date_of_birth),
        address.upper(),
        city.upper(),
        state,
        postal_code,
        exclusion_type,
        ymd(excluded_on),
        ymd(reinstated_on),
        ymd(waiver_on),
        waiver_state,
    ]
