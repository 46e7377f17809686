"""OpenID Connect claims (Core §5.1) of a citizen, from the civil registry record.

- `name`, `given_name`, `family_name`: the English names; `name#ar`, `given_name#ar`,
  `family_name#ar`: the Arabic names, as language-tagged claims (Core §5.2).
- `birthdate` (ISO 8601 YYYY-MM-DD), `gender` (`female`/`male`).
- `nationality`: ISO 3166-1 alpha-2 code from the registry (a claim of this provider,
  released with `profile`).
- `phone_number` (E.164) and `phone_number_verified` (true: the number came from the
  registry and a code sent to it was entered).
- `national_id`: the civil registry's ID number, released only with the `national_id`
  scope.
- `updated_at`: when the claims were last taken from the registry (seconds since the
  epoch)."""

from dataclasses import asdict


def claims_from_person(person, now):
    """The account profile for a `connectors.civil_registry.Person`."""
    return {
        "name": person.name_en.full,
        "given_name": person.name_en.given,
        "family_name": person.name_en.family,
        "name#ar": person.name_ar.full,
        "given_name#ar": person.name_ar.given,
        "family_name#ar": person.name_ar.family,
        "birthdate": person.birthdate.isoformat(),
        "gender": person.gender.value,
        "nationality": person.nationality,
        "phone_number": person.mobile,
        "phone_number_verified": True,
        "national_id": person.national_id,
        "updated_at": int(now.timestamp()),
    }


def person_record(person):
    """The registry record kept with a registration challenge until the account exists."""
    return {
        "national_id": person.national_id,
        "name_ar": asdict(person.name_ar),
        "name_en": asdict(person.name_en),
        "date_of_birth": person.birthdate.isoformat(),
        "gender": person.gender.value,
        "nationality": person.nationality,
        "mobile": person.mobile,
        "marital_status": person.marital_status.value,
    }
