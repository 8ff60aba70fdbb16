"""The importer's COPY writes a candidate's history row with ``history_row_maker``: the same
values, column for column, as ``history_value`` (what the history model's own save writes):
the ID number masked, its keyed hash beside it, an ID number typed into another text masked
too, everything else as it is."""

import datetime

from candidates.models import Candidate
from kit import privacy

ID_NUMBER = "350203199001011234"


def test_a_history_row_holds_what_each_history_field_writes():
    history_model = Candidate.history.model
    fields = [f for f in history_model._meta.concrete_fields if not f.attname.startswith("history_")]
    row = {f.attname: None for f in Candidate._meta.concrete_fields}
    row.update(
        id=7,
        name="林晓敏",
        id_number=ID_NUMBER,
        birth_date=datetime.date(1990, 1, 1),
        phone="13800000000",
        prior_certificate_number=f"旧证号 {ID_NUMBER}",
    )
    made = privacy.history_row_maker(fields)(row)
    assert made == [privacy.history_value(field, row) for field in fields]
    by_name = dict(zip([f.attname for f in fields], made, strict=True))
    assert by_name["id_number"] == "350203********1234"
    assert by_name["prior_certificate_number"] == "旧证号 350203********1234"
    assert by_name["id_number_digest"] == privacy.id_number_digest(ID_NUMBER)
    assert by_name["name"] == "林晓敏" and by_name["birth_date"] == datetime.date(1990, 1, 1)
