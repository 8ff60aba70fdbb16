"""Roles are Django groups. Their permissions are data kept here, synced by a migration
and again after every ``migrate`` so that models added later join their roles."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

STATION_CLERK = "站点考务员"
EXAMINER = "考评员"
SUPERVISOR = "督导员"
CENTRE_OFFICER = "指导中心审核员"
SYSTEM_ADMIN = "系统管理员"

REFERENCE_VIEW = [
    "catalog.view_region",
    "catalog.view_qualification",
    "catalog.view_occupation",
    "catalog.view_policynotice",
    "catalog.view_deadlinerule",
    "catalog.view_guidancecentre",
    "catalog.view_station",
    "catalog.view_eligibilityroute",
    "catalog.view_holiday",
    # Who may appraise what: everyone reads (a clerk only its own station's, by the admin's scope).
    "catalog.view_stationauthorisation",
    "catalog.view_authorisationsanction",
    # Recognised evaluation organisations students and apprentices are referred to.
    "catalog.view_evaluationorganisation",
]

# A case's records are archived, never deleted (a mistaken registration is withdrawn, a
# wrong score amended): nobody but the system administrator deletes them.
CASE_RECORDS_KEPT = [
    "!candidates.delete_candidate",
    *(
        f"!appraisals.delete_{model}"
        for model in (
            "examannouncement",
            "registration",
            "eligibilityreview",
            "consentform",
            "appraisalapplication",
            "examresult",
            "scoreamendment",
            "retake",
            "refund",
            "skilllevelreferral",
            "offsiterequest",
            "exampaper",
            "seatcheckin",
            "lateentryapproval",
            "lateentry",
        )
    ),
]

# "app_label.codename" patterns (fnmatch); "!" excludes. Patterns that match nothing yet
# are fine: they pick up the permissions of models that later issues add.
# Full ID numbers and phones (PIPL): only guidance-centre officers, who audit certificate data.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    STATION_CLERK: [
        *REFERENCE_VIEW,
        "candidates.*",
        "!candidates.view_full_id_number",
        "appraisals.*",
        "!appraisals.approve_*",
        # Late entries (补录) are approved by the guidance centre (four eyes); their records
        # are written by the services only.
        "!appraisals.add_lateentryapproval",
        "!appraisals.change_lateentryapproval",
        "!appraisals.add_lateentry",
        "!appraisals.change_lateentry",
        *CASE_RECORDS_KEPT,
        # Papers are issued, handed over and taken back by the guidance centre (four eyes).
        "!appraisals.issue_*",
        # The registry is kept by the guidance centre; the station reads whom it may pick.
        "!appraisals.add_appraiser",
        "!appraisals.change_appraiser",
        "!appraisals.delete_appraiser",
        "!appraisals.delete_recusal",
        # The station never issues: it sees its own certificates, archive and lost requests.
        "certificates.view_*",
        "!certificates.view_numbercounter",
        "!certificates.view_uploadbatch",
        "!certificates.view_uploaditem",
        # As before supervision had its own app (its models were under certificates.view_*);
        # complaints stay hidden from stations by their admin's scope.
        "supervision.view_*",
        "!supervision.view_personaldataaccess",
    ],
    EXAMINER: [
        *REFERENCE_VIEW,
        "candidates.view_*",
        "!candidates.view_full_id_number",
        "appraisals.view_*",
        "appraisals.add_examresult",
        "appraisals.change_examresult",
        "appraisals.confirm_*",
        # Examiners invigilate: they record the check-in (到考, 缺考, 违纪).
        "appraisals.add_seatcheckin",
        "appraisals.change_seatcheckin",
    ],
    SUPERVISOR: [
        *REFERENCE_VIEW,
        "candidates.view_*",
        "!candidates.view_full_id_number",
        "appraisals.view_*",
        "certificates.view_*",
        "supervision.view_*",
        "catalog.view_user",
        # Supervisors read everything in their region and act only on supervision:
        # findings, and releasing or refusing a batch held as rushed.
        "certificates.add_supervisionfinding",
        "certificates.change_supervisionfinding",
        "certificates.review_issuancebatch",
        "supervision.change_reviewitem",
        "supervision.add_sessionsupervisionrecord",
        "supervision.change_complaint",
    ],
    CENTRE_OFFICER: [
        *REFERENCE_VIEW,
        "catalog.add_station",
        "catalog.change_station",
        "catalog.add_eligibilityroute",
        "catalog.change_eligibilityroute",
        # The levels of each occupation's standard (the admin leaves officers only that field),
        # and the authorisations of the stations under their centre (catalog.services checks whose).
        "catalog.change_occupation",
        "catalog.add_stationauthorisation",
        "catalog.change_stationauthorisation",
        "catalog.add_authorisationsanction",
        "catalog.change_authorisationsanction",
        # The registry of recognised evaluation organisations (备案评价机构) is the officers'.
        "catalog.add_evaluationorganisation",
        "catalog.change_evaluationorganisation",
        "catalog.view_user",
        "candidates.*",
        "appraisals.*",
        "certificates.*",
        "supervision.*",
        # A batch held as rushed is released by a supervisor, never by the officers themselves.
        "!certificates.review_issuancebatch",
        *CASE_RECORDS_KEPT,
        "!certificates.delete_*",
        "!appraisals.delete_appraiser",
        "!appraisals.delete_recusal",
        "!supervision.delete_*",
        # The access log is the supervisors' check on the officers who see full numbers.
        "!supervision.*_personaldataaccess",
    ],
    SYSTEM_ADMIN: ["*"],
}


def _matches(label: str, patterns: list[str]) -> bool:
    allowed = any(fnmatchcase(label, p) for p in patterns if not p.startswith("!"))
    denied = any(fnmatchcase(label, p[1:]) for p in patterns if p.startswith("!"))
    return allowed and not denied


def sync_roles(group_model: Any, permission_model: Any) -> None:
    """Create the role groups and set each one's permissions to exactly its patterns.

    Takes the models as arguments so a migration can pass its historical models."""
    permissions = list(permission_model.objects.select_related("content_type"))
    for role, patterns in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = [p for p in permissions if _matches(f"{p.content_type.app_label}.{p.codename}", patterns)]
        group.permissions.set(wanted)


# The models each role's home and side menu list ("app_label.modelname"), in the order of
# their day; the admin's own lists stay reachable by link (a case page links its parts).
# Every app a role can read has one model here at least: the breadcrumbs link the app's page.
# A role with no entry, and the system administrator, see every model they may view.
REFERENCE_MENU = ["catalog.deadlinerule", "catalog.policynotice"]
ROLE_MENUS: dict[str, list[str]] = {
    STATION_CLERK: [
        "appraisals.registration",
        "candidates.candidate",
        "candidates.candidatenotice",
        "appraisals.examannouncement",
        "appraisals.consentform",
        "appraisals.appraisalapplication",
        "appraisals.offsiterequest",
        "appraisals.examsession",
        "appraisals.exampaper",
        "appraisals.seatassignment",
        "appraisals.recusal",
        "appraisals.examresult",
        "appraisals.retake",
        "appraisals.refund",
        "appraisals.importjob",
        "appraisals.traineetoroute",
        "appraisals.skilllevelreferral",
        "certificates.certificate",
        "certificates.lostcertificaterequest",
        "catalog.stationauthorisation",
        *REFERENCE_MENU,
    ],
    EXAMINER: [
        "appraisals.examsession",
        "appraisals.seatassignment",
        "appraisals.examresult",
        "appraisals.scoreamendment",
        "candidates.candidate",
        *REFERENCE_MENU,
    ],
    CENTRE_OFFICER: [
        "appraisals.appraisalapplication",
        "appraisals.offsiterequest",
        "appraisals.registration",
        "candidates.candidate",
        "candidates.candidatenotice",
        "appraisals.examsession",
        "appraisals.exampaper",
        "appraisals.examresult",
        "appraisals.scoreamendment",
        "certificates.passedregistration",
        "certificates.issuancebatch",
        "certificates.certificate",
        "certificates.archiverecord",
        "certificates.consentarchive",
        "certificates.uploadbatch",
        "certificates.lostcertificaterequest",
        "certificates.supervisionfinding",
        "supervision.complaint",
        "appraisals.appraiser",
        "catalog.station",
        "catalog.stationauthorisation",
        "catalog.authorisationsanction",
        "catalog.eligibilityroute",
        "catalog.evaluationorganisation",
        "appraisals.skilllevelreferral",
        *REFERENCE_MENU,
    ],
    SUPERVISOR: [
        "supervision.reviewitem",
        "supervision.complaint",
        "supervision.sessionsupervisionrecord",
        "supervision.personaldataaccess",
        "certificates.supervisionfinding",
        "certificates.issuancebatch",
        "appraisals.registration",
        "appraisals.examsession",
        "appraisals.examresult",
        "certificates.certificate",
        "candidates.candidate",
        "catalog.station",
        "catalog.stationauthorisation",
        "catalog.authorisationsanction",
        *REFERENCE_MENU,
    ],
}


def menu_for(role_names: set[str]) -> set[str] | None:
    """The models on the menu of someone with these roles (None: no limit)."""
    if SYSTEM_ADMIN in role_names or not role_names & ROLE_MENUS.keys():
        return None
    return {label for role in role_names & ROLE_MENUS.keys() for label in ROLE_MENUS[role]}
