"""The ends of cases (issue 13), told on top of the cases: the recognised evaluation
organisations (备案评价机构) the officers keep, referrals of students and apprentices with
what became of them, consent forms archived by the centres when their cases ended, and
refunds confirmed by a second person (the latest left waiting, to show 待复核).

Made once per database, like the cases: a second load finds the organisations and
changes nothing. Every act is on its own day and none after the business date."""

from __future__ import annotations

import datetime

from appraisals import services as appraisal_services
from appraisals.models import Refund, SkillLevelReferral
from appraisals.selectors import trainees_to_route
from catalog import roles
from catalog.models import EvaluationOrganisation, Occupation, Region, User
from catalog.trace import acting_as
from certificates import selectors as certificate_selectors
from certificates import services as certificate_services
from kit import clock

from .cases import at
from .timeline import Cut, on

D = datetime.date

ORGANISATIONS: list[tuple[str, str, tuple[str, ...], str, str]] = [
    # name, region code, occupations, contact person, phone
    ("厦门市美发美容行业协会", "350200", ("美发师", "美容师"), "林美珍", "0592-5083216"),
    ("福建省电力行业职业技能等级认定中心", "350000", ("电工",), "陈建华", "0591-87091532"),
    ("福建省烹饪协会职业技能评价中心", "350000", ("中式烹调师", "中式面点师"), "黄志勇", "0591-83357108"),
    ("福建省汽车维修行业协会", "350000", ("汽车维修工",), "吴德明", "0591-87524690"),
    ("福州市家庭服务业协会", "350100", ("育婴员", "保育员"), "郑秀兰", "0591-83306627"),
    ("湖南省美容美发化妆品行业协会", "430000", ("美发师", "美容师"), "彭丽华", "0731-84452173"),
    ("长沙市电力职业技能等级认定站", "430100", ("电工", "中式烹调师"), "谭国庆", "0731-82218904"),
]
REGISTRY_DAY = D(2020, 9, 7)
CENTRE_OFFICERS = {
    "FJ": "officer_fj",
    "FJ-XM": "officer_xm",
    "FJ-FZ": "officer_fz",
    "HN": "officer_cs",
    "HN-CS": "officer_cs",
}


def demo_caseend_load(cut: Cut) -> bool:
    """Tell the ends of cases up to the business date; False when already told."""
    if EvaluationOrganisation.objects.exists() or not cut.done(REGISTRY_DAY):
        return False
    officers = {code: User.objects.get(username=name) for code, name in CENTRE_OFFICERS.items()}
    with acting_as(officers["FJ"], reason="备案评价机构名录"), on(REGISTRY_DAY):
        for name, region, occupations, person, phone in ORGANISATIONS:
            organisation = EvaluationOrganisation.objects.create(
                name=name,
                region=Region.objects.get(code=region),
                contact_person=person,
                contact_phone=phone,
                filing_number="人社厅函〔2020〕备案",
            )
            organisation.occupations.set(Occupation.objects.filter(name__in=occupations))
    _referrals(cut, officers)
    _archive_consents(cut, officers)
    _confirm_refunds(cut, officers)
    return True


def _referrals(cut: Cut, officers: dict[str, User]) -> None:
    """The first two trainees on the routing list who have a covering organisation: one
    referred and accepted (and, when the year is told, certified), one declined (and so
    back on the list)."""
    plans = [
        (
            D(2020, 9, 14),
            [
                (SkillLevelReferral.Status.ACCEPTED, D(2020, 9, 18)),
                (SkillLevelReferral.Status.CERTIFIED, D(2020, 12, 18)),
            ],
        ),
        (D(2020, 9, 15), [(SkillLevelReferral.Status.DECLINED, D(2020, 9, 17))]),
    ]
    with on(D(2020, 9, 14)):
        routing = trainees_to_route()
    chosen = []
    for item in routing:
        referral = SkillLevelReferral(candidate=item.candidate, occupation=item.occupation)
        region = referral.candidate_region()
        fitting = [
            o
            for o in EvaluationOrganisation.objects.filter(occupations=item.occupation)
            if o.refusal_for(item.occupation, region) is None
        ]
        if fitting and item.station_id is not None:
            chosen.append((item, fitting[0]))
        if len(chosen) == len(plans):
            break
    for (item, organisation), (referred_on, outcomes) in zip(chosen, plans, strict=False):
        if not cut.done(referred_on) or item.station_id is None:
            continue
        clerk = User.objects.filter(station_id=item.station_id, groups__name=roles.STATION_CLERK).order_by("pk").first()
        actor = clerk or officers["FJ"]
        with on(referred_on):
            referral = appraisal_services.referral_record(
                actor=actor,
                candidate=item.candidate,
                occupation=item.occupation,
                referred_on=referred_on,
                organisation=organisation,
                note=f"预计 {item.expected_finish_date:%Y-%m-%d} 毕（结）业，转介{organisation.name}",
            )
        for outcome, day in outcomes:
            if not cut.done(day):
                break
            with on(day):
                referral = appraisal_services.referral_outcome(
                    actor=actor, referral=referral, outcome=outcome, day=day, note=_outcome_note(outcome)
                )


def _outcome_note(outcome: str) -> str:
    notes: dict[str, str] = {
        SkillLevelReferral.Status.ACCEPTED: "评价机构已受理，安排参加下一期等级认定",
        SkillLevelReferral.Status.CERTIFIED: "已取得职业技能等级证书（五级）",
        SkillLevelReferral.Status.DECLINED: "该机构本年度认定计划已满，未受理；另行转介",
    }
    return notes[outcome]


def _archive_consents(cut: Cut, officers: dict[str, User]) -> None:
    """Each centre archives the scanned forms of its ended cases two days after the case
    ended (its last change); forms without a scan wait (their stations are reminded)."""
    due = (
        certificate_selectors.consents_to_archive()
        .exclude(scan="")
        .select_related("registration__station__centre")
        .order_by("pk")
    )
    for consent in due:
        registration = consent.registration
        last = registration.history.order_by("-history_date").first()
        if last is None:
            continue
        day = clock.local_day(last.history_date) + datetime.timedelta(days=2)
        if not cut.done(day):
            continue
        with on(day):
            certificate_services.consent_archive(
                actor=officers[registration.station.centre.code], consent=consent, now=at(day, 15)
            )


def _confirm_refunds(cut: Cut, officers: dict[str, User]) -> None:
    """A second person confirms each refund the next working morning, by the centre's
    officer (the stations have one clerk each); the latest one still waits."""
    refunds = list(Refund.objects.select_related("registration__station__centre").order_by("refund_date", "pk"))
    for refund in refunds[:-1]:
        day = refund.refund_date + datetime.timedelta(days=1)
        if not cut.done(day):
            continue
        officer = officers[refund.registration.station.centre.code]
        with on(day):
            appraisal_services.refund_confirm(actor=officer, refund=refund, now=at(day, 9))
