"""Reads shared by screens, services and reports: the deadline resolver and user scopes."""

from __future__ import annotations

import datetime
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Q, QuerySet

from . import roles
from .models import (
    AuthorisationSanction,
    DeadlineRule,
    EligibilityRoute,
    GuidanceCentre,
    Holiday,
    Notification,
    Occupation,
    Region,
    Station,
    StationAuthorisation,
    User,
)

# Whoever a request carries: scopes of an anonymous visitor are empty.
Viewer = User | AnonymousUser

DEADLINE_FIELDS = ("last_registration_day", "application_deadline", "appraisal_deadline", "retake_deadline")


@dataclass(frozen=True)
class Deadlines:
    """The deadlines that apply to one occupation in one region, each with its source rule."""

    occupation_id: int
    region_id: int | None
    last_registration_day: datetime.date | None = None
    application_deadline: datetime.date | None = None
    appraisal_deadline: datetime.date | None = None
    retake_deadline: datetime.date | None = None
    requires_municipal_report: bool = False
    # The rule that set the last registration day closes that day itself (exit_day_closed).
    last_day_closed: bool = False
    sources: dict[str, DeadlineRule] = field(default_factory=dict, compare=False)

    def accepts_registration_on(self, day: datetime.date) -> bool:
        """Announcements and registrations are allowed up to and including the last day,
        or up to the day before it when its rule closes the day itself."""
        if self.last_registration_day is None:
            return True
        if self.last_day_closed:
            return day < self.last_registration_day
        return day <= self.last_registration_day

    def notice_of(self, name: str) -> str:
        """The document number of the notice that set the date ``name`` ('' if none did)."""
        rule = self.sources.get(name)
        return rule.notice.doc_number if rule is not None else ""

    def with_notice(self, name: str) -> str:
        """A date and the notice that set it, as screens show it: “2020-12-31（人社厅发〔2020〕80号）”."""
        day = getattr(self, name)
        if day is None:
            return "不限"
        return f"{day:%Y-%m-%d}（{self.notice_of(name)}）"


class RuleBook:
    """All deadline rules, loaded once (two queries) and resolved in memory.

    Resolution, for each date separately: the most specific region that sets it wins
    (city over province over national); between rules of the same region, the newer
    notice wins. A date no rule sets stays blank (no limit)."""

    def __init__(self) -> None:
        rules = list(DeadlineRule.objects.select_related("region", "notice"))
        through = DeadlineRule.occupations.through.objects.values_list("occupation_id", "deadlinerule_id")
        by_id = {rule.pk: rule for rule in rules}
        self._rules_by_occupation: dict[int, list[DeadlineRule]] = {}
        for occupation_id, rule_id in through:
            self._rules_by_occupation.setdefault(occupation_id, []).append(by_id[rule_id])
        self._lineage_cache: dict[int, list[int]] = {}

    def _lineage_ids(self, region: Region | None) -> list[int]:
        if region is None:
            return []
        if region.pk not in self._lineage_cache:
            self._lineage_cache[region.pk] = [r.pk for r in region.lineage()]
        return self._lineage_cache[region.pk]

    def deadlines_for(self, occupation: Occupation | int, region: Region | None) -> Deadlines:
        occupation_id = occupation if isinstance(occupation, int) else occupation.pk
        lineage = self._lineage_ids(region)
        applicable = [
            rule
            for rule in self._rules_by_occupation.get(occupation_id, [])
            if rule.region_id is None or rule.region_id in lineage
        ]

        def specificity(rule: DeadlineRule) -> tuple:
            depth = lineage.index(rule.region_id) if rule.region_id is not None else len(lineage)
            issued = rule.notice.issue_date or datetime.date.min
            return (depth, -issued.toordinal(), -rule.pk)

        applicable.sort(key=specificity)
        values: dict[str, Any] = {}
        sources: dict[str, DeadlineRule] = {}
        for name in DEADLINE_FIELDS:
            for rule in applicable:
                value = getattr(rule, name)
                if value is not None:
                    values[name] = value
                    sources[name] = rule
                    break
        return Deadlines(
            occupation_id=occupation_id,
            region_id=region.pk if region else None,
            requires_municipal_report=any(rule.requires_municipal_report for rule in applicable),
            last_day_closed=bool(
                "last_registration_day" in sources and sources["last_registration_day"].exit_day_closed
            ),
            sources=sources,
            **values,
        )

    def exit_date(self, occupation: Occupation | int) -> datetime.date | None:
        """The national last day: after it the occupation has left the catalog (None: it stays)."""
        return self.deadlines_for(occupation, None).last_registration_day

    def exit_dates(self) -> dict[int, datetime.date | None]:
        """``exit_date`` of every occupation some rule names, by occupation id."""
        return {occupation_id: self.exit_date(occupation_id) for occupation_id in self._rules_by_occupation}


# --- exit dates and names kept between requests -----------------------------------------------

# The version of the deadline rules and of the occupations' and centres' names, in the cache
# (Redis in production: one for every process); replaced whenever one of them changes.
EXIT_DATES_VERSION_KEY = "catalog.exit_dates.version"
# A change that sends no signal (a queryset's update(), SQL, a data migration) is seen
# after at most this many seconds.
EXIT_DATES_MAX_AGE = 60.0
# Another process's change is seen after at most this many seconds: the version in the cache
# is read at most this often (a cache round trip per lookup was a sixteenth of its time).
EXIT_DATES_VERSION_CHECK = 1.0


@dataclass(frozen=True)
class LookupReference:
    """What the public lookup shows beside a certificate's own columns, by id: its
    occupation's exit day (absent: still in the catalog), its occupation's and its issuing
    centre's names. Read from a few hundred rows, so a lookup's query needs no join (the
    planning of a three-table join was most of the lookup's time in the database)."""

    exit_dates: dict[int, datetime.date | None]
    occupation_names: dict[int, str]
    centre_names: dict[int, str]

    @classmethod
    def read(cls) -> LookupReference:
        return cls(
            RuleBook().exit_dates(),
            dict(Occupation.objects.values_list("pk", "name")),
            dict(GuidanceCentre.objects.values_list("pk", "name")),
        )


@dataclass(frozen=True)
class _KeptReference:
    version: str | None
    loaded_at: float
    checked_at: float
    reference: LookupReference


_kept_reference: _KeptReference | None = None


def lookup_reference(*, refresh: bool = False) -> LookupReference:
    """Every occupation's national exit day (``RuleBook.exit_date``), every occupation's and
    centre's name, by id. For the public lookup, which is busy: a rule book per request
    cost two queries and most of its time.

    1. Inside a transaction they are read afresh and not kept: the transaction may have
       changed them itself, and what it read must not outlive a rollback.
    2. Otherwise they are kept in this process with the version in the cache at the time
       they were read (read first, so a change committed meanwhile makes the next call
       read them again). The version is read again at most every
       ``EXIT_DATES_VERSION_CHECK`` seconds.
    3. A rule or notice saved or deleted, a rule's occupations edited, an occupation or a
       centre saved or deleted, replaces the version once committed
       (``exit_dates_changed``) and drops what this process keeps: this process's next
       call reads them again, every other process within ``EXIT_DATES_VERSION_CHECK``.
    4. What is kept is read again after ``EXIT_DATES_MAX_AGE`` whatever the version (a
       change that sent no signal), or at once with ``refresh`` (a certificate's occupation
       or centre missing from it: added a moment ago)."""
    global _kept_reference
    if connection.in_atomic_block:
        return LookupReference.read()
    now = time.monotonic()
    kept = _kept_reference
    if (
        kept is not None
        and not refresh
        and now - kept.checked_at <= EXIT_DATES_VERSION_CHECK
        and now - kept.loaded_at <= EXIT_DATES_MAX_AGE
    ):
        return kept.reference
    version = cache_version(EXIT_DATES_VERSION_KEY)
    if kept is None or kept.version != version or now - kept.loaded_at > EXIT_DATES_MAX_AGE or refresh:
        kept = _KeptReference(version, now, now, LookupReference.read())
    else:
        kept = _KeptReference(version, kept.loaded_at, now, kept.reference)
    _kept_reference = kept
    return kept.reference


def exit_dates() -> Mapping[int, datetime.date | None]:
    """Every occupation's national exit day by occupation id (``lookup_reference``); an
    occupation absent from it stays in the catalog."""
    return lookup_reference().exit_dates


def exit_dates_changed(**kwargs: Any) -> None:
    """A deadline rule, its occupations, a notice, an occupation or a centre changed: after
    the commit, a new version tells every process to read them again (signal receiver,
    connected in ``CatalogConfig.ready``)."""
    replace_cache_version(EXIT_DATES_VERSION_KEY)
    transaction.on_commit(_forget_kept_reference)


def _forget_kept_reference() -> None:
    global _kept_reference
    _kept_reference = None


def cache_version(key: str) -> str | None:
    """The version under ``key`` in the cache (one for every process), made if missing."""
    version = cache.get(key)
    if version is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)
        version = cache.get(key)
    return version


def replace_cache_version(key: str) -> None:
    """A new version under ``key`` once the transaction commits: what was kept under the old
    one is read again."""
    transaction.on_commit(lambda: cache.set(key, uuid.uuid4().hex, timeout=None))


def deadlines_for(occupation: Occupation | int, region: Region | None) -> Deadlines:
    """Which deadlines apply to occupation O in region R. Every deadline check calls this
    (or a shared ``RuleBook`` when checking many rows at once)."""
    return RuleBook().deadlines_for(occupation, region)


def occupation_in_catalog_on(occupation: Occupation | int, day: datetime.date) -> bool:
    """Appraisal only inside the catalog: an exited occupation is outside it after its exit day."""
    exit_day = RuleBook().exit_date(occupation)
    return exit_day is None or day <= exit_day


# --- working days ---------------------------------------------------------------------


def is_working_day(day: datetime.date, overrides: dict[datetime.date, bool] | None = None) -> bool:
    """Monday to Friday, except public holidays; weekend make-up days (调休) count as working."""
    if overrides is None:
        overrides = dict(Holiday.objects.filter(date=day).values_list("date", "is_workday"))
    if day in overrides:
        return overrides[day]
    return day.weekday() < 5


def publicity_last_day(published_on: datetime.date, working_days: int) -> datetime.date:
    """The last day of a publicity period (公示) of ``working_days`` working days that starts
    on ``published_on`` (counted if it is a working day). Anything waiting for the period
    may happen from the next day on."""
    if working_days < 1:
        raise ValueError("公示期至少为1个工作日。")
    horizon = published_on + datetime.timedelta(days=working_days * 3 + 30)
    overrides = dict(Holiday.objects.filter(date__range=(published_on, horizon)).values_list("date", "is_workday"))
    day = published_on
    counted = 0
    while True:
        if is_working_day(day, overrides):
            counted += 1
            if counted == working_days:
                return day
        day += datetime.timedelta(days=1)


# --- application conditions -------------------------------------------------------------


def eligibility_routes_for(occupation: Occupation | int, level: str) -> list[EligibilityRoute]:
    """The occupation's own routes for the level if it has any, else the national defaults."""
    occupation_id = occupation if isinstance(occupation, int) else occupation.pk
    own = list(EligibilityRoute.objects.filter(occupation_id=occupation_id, level=level))
    return own or list(EligibilityRoute.objects.filter(occupation__isnull=True, level=level))


# --- scopes ---------------------------------------------------------------------------


def _descendant_ids(model: Any, root_id: int) -> set[int]:
    """The root and everything below it in a parent tree (centres, regions), in one query."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE tree(id) AS (SELECT id FROM {table} WHERE id = %s UNION SELECT child.id"
            f" FROM {table} child JOIN tree ON child.parent_id = tree.id) SELECT id FROM tree",
            [root_id],
        )
        return {root_id} | {row[0] for row in cursor.fetchall()}


def has_full_scope(user: Viewer) -> bool:
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    return isinstance(user, User) and roles.SYSTEM_ADMIN in _role_names(user)


def _role_names(user: User) -> set[str]:
    # Memoised on the user object: a request asks for its scope several times.
    names: set[str] | None = getattr(user, "_jianding_roles", None)
    if names is None:
        names = set(user.groups.values_list("name", flat=True))
        user._jianding_roles = names  # type: ignore[attr-defined]
    return names


_NO_SCOPE = object()


def station_scope(user: Viewer) -> Q | None:
    """A filter on Station for what the user may see; None means everything. Worked out
    once per user object (a request's user: the list, its filters and every permission
    check ask for it)."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    memo = getattr(user, "_jianding_scope", _NO_SCOPE)
    if memo is _NO_SCOPE:
        memo = _station_scope(user)
        setattr(user, "_jianding_scope", memo)  # noqa: B010 (a memo on the object, not a field)
    return memo  # type: ignore[return-value]


def _station_scope(user: User) -> Q | None:
    if has_full_scope(user):
        return None
    names = _role_names(user)
    officer = bool(user.centre_id) and roles.CENTRE_OFFICER in names
    supervisor = bool(user.centre_id) and roles.SUPERVISOR in names
    if not (officer or supervisor):  # a station's own staff: their station, known without a query
        setattr(user, "_jianding_station_ids", [user.station_id] if user.station_id else [])  # noqa: B010
        return Q(pk=user.station_id) if user.station_id else Q(pk__in=[])
    kept = _kept_scope(user, names, officer=officer, supervisor=supervisor)
    setattr(user, "_jianding_station_ids", kept.stations)  # noqa: B010 (a memo on the object, not a field)
    setattr(user, "_jianding_centre_subtree", set(kept.centres))  # noqa: B010
    return _organisation_scope(user.station_id, kept.centres if officer else [], kept.regions)


def _organisation_scope(station_id: int | None, centres: list[int], regions: list[int]) -> Q:
    """Stations: the user's own, those of the centres given, those in the regions given."""
    scope = Q(pk=station_id) if station_id else Q(pk__in=[])
    if centres:
        scope |= Q(centre_id__in=centres)
    if regions:
        scope |= Q(region_id__in=regions)
    return scope


# The version of the organisation (stations, centres, regions) in the cache, replaced
# whenever one of them changes (``scopes_changed``), and the longest a kept scope lives
# (a change that sent no signal: a queryset's update(), SQL, a data migration).
SCOPE_VERSION_KEY = "catalog.scope.version"
SCOPE_MAX_AGE = 60


@dataclass(frozen=True)
class _KeptScope:
    centres: list[int]  # the user's centre and those below it
    regions: list[int]  # a supervisor's region and those below it
    stations: list[int]  # every station the user may see, in pk order


def _kept_scope(user: User, names: set[str], *, officer: bool, supervisor: bool) -> _KeptScope:
    """An officer's or a supervisor's stations, kept in the cache between requests: worked
    out afresh they cost two or three queries on every page. The key holds all the scope
    depends on in the user's row (centre, station, roles), read on every request, and the
    organisation's version; inside a transaction it is read afresh and not kept (the
    transaction may have changed the organisation itself)."""
    fresh = connection.in_atomic_block
    key = None
    if not fresh:
        version = cache_version(SCOPE_VERSION_KEY)
        key = f"catalog.scope:{version}:{user.pk}:{user.centre_id}:{user.station_id}:{','.join(sorted(names))}"
        kept = cache.get(key)
        if kept is not None:
            return kept
    centre_id = user.centre_id
    if centre_id is None:  # not reached: officers and supervisors belong to a centre
        return _KeptScope([], [], [user.station_id] if user.station_id else [])
    centres = sorted(_descendant_ids(GuidanceCentre, centre_id))
    regions: list[int] = []
    if supervisor:
        region_id = GuidanceCentre.objects.filter(pk=centre_id).values_list("region_id", flat=True).first()
        regions = sorted(_descendant_ids(Region, region_id)) if region_id else []
    scope = _organisation_scope(user.station_id, centres if officer else [], regions)
    stations = list(Station.objects.filter(scope).order_by("pk").values_list("pk", flat=True))
    kept = _KeptScope(centres, regions, stations)
    if key is not None:
        cache.set(key, kept, timeout=SCOPE_MAX_AGE)
    return kept


def unread_notifications(user: User) -> int:
    """The header's unread count, kept in the cache between requests (one query less on
    every page) until the user's notifications change (``unread_changed``)."""
    if connection.in_atomic_block:
        return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    key = f"catalog.unread:{user.pk}"
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        cache.set(key, count, timeout=SCOPE_MAX_AGE)
    return count


def unread_changed(recipient_ids: Iterable[int | None]) -> None:
    """These users' notifications were added or read: their counts are read again after
    the commit."""
    keys = [f"catalog.unread:{pk}" for pk in set(recipient_ids) if pk is not None]
    if keys:
        transaction.on_commit(lambda: cache.delete_many(keys))


def notification_saved(instance: Notification, **kwargs: Any) -> None:
    unread_changed([instance.recipient_id])


def scopes_changed(**kwargs: Any) -> None:
    """A station, centre or region changed: after the commit, every kept scope is worked
    out again (signal receiver, connected in ``CatalogConfig.ready``)."""
    replace_cache_version(SCOPE_VERSION_KEY)


def visible_stations(user: Viewer) -> QuerySet[Station]:
    scope = station_scope(user)
    qs = Station.objects.all()
    return qs if scope is None else qs.filter(scope)


def visible_station_ids(user: Viewer) -> list[int] | None:
    """The pks of the stations the user may see (None: every station), read once per user
    object. A list filters a big table by ``station_id = ANY(…)``, which the planner
    estimates from its statistics: a clerk's one station is an index lookup, a province's
    hundreds a scan in the list's order."""
    if station_scope(user) is None:
        return None
    memo: list[int] | None = getattr(user, "_jianding_station_ids", None)
    if memo is None:
        memo = list(visible_stations(user).order_by("pk").values_list("pk", flat=True))
        setattr(user, "_jianding_station_ids", memo)  # noqa: B010 (a memo on the object, not a field)
    return memo


def visible_centres(user: Viewer) -> QuerySet[GuidanceCentre]:
    """The user's own centre subtree and the centres of the stations they can see."""
    scope = station_scope(user)
    if scope is None:
        return GuidanceCentre.objects.all()
    visible = Q(pk__in=visible_stations(user).values("centre_id"))
    if isinstance(user, User) and user.centre_id:
        visible |= Q(pk__in=_centre_subtree(user))
    return GuidanceCentre.objects.filter(visible)


def _centre_subtree(user: User) -> set[int]:
    """The user's centre and the centres below it, read once per user object."""
    memo: set[int] | None = getattr(user, "_jianding_centre_subtree", None)
    if memo is None:
        memo = _descendant_ids(GuidanceCentre, user.centre_id) if user.centre_id else set()
        setattr(user, "_jianding_centre_subtree", memo)  # noqa: B010 (a memo on the object, not a field)
    return memo


# --- station authorisations -------------------------------------------------------------------


class StationAuthority:
    """A station's authorisations and sanctions, loaded once, to check acts on many days
    (an import's rows, the dashboard's history). The rule itself is
    ``appraisals.rules.station_not_authorised``."""

    def __init__(
        self,
        station: Station,
        authorisations: list[StationAuthorisation] | None = None,
        sanctions: list[AuthorisationSanction] | None = None,
    ) -> None:
        self.station = station
        if authorisations is None:
            authorisations = list(StationAuthorisation.objects.filter(station=station).order_by("valid_from", "pk"))
        if sanctions is None:
            sanctions = list(AuthorisationSanction.objects.filter(station=station).order_by("effective_from", "pk"))
        self.authorisations = authorisations
        self.sanctions = sanctions

    @classmethod
    def for_stations(cls, stations: QuerySet[Station]) -> dict[int, StationAuthority]:
        """Every station's authority in three queries."""
        found = {s.pk: s for s in stations}
        authorisations: dict[int, list[StationAuthorisation]] = {pk: [] for pk in found}
        sanctions: dict[int, list[AuthorisationSanction]] = {pk: [] for pk in found}
        for a in StationAuthorisation.objects.filter(station__in=found).order_by("valid_from", "pk"):
            authorisations[a.station_id].append(a)
        for s in AuthorisationSanction.objects.filter(station__in=found).order_by("effective_from", "pk"):
            sanctions[s.station_id].append(s)
        return {pk: cls(station, authorisations[pk], sanctions[pk]) for pk, station in found.items()}

    def station_sanction_on(self, day: datetime.date) -> AuthorisationSanction | None:
        """The sanction on the whole station in force on the day (a revocation first)."""
        found = [s for s in self.sanctions if s.authorisation_id is None and s.in_force_on(day)]
        found.sort(key=lambda s: s.kind != AuthorisationSanction.Kind.REVOCATION)
        return found[0] if found else None

    def authorisation_sanction_on(
        self, authorisation: StationAuthorisation, day: datetime.date
    ) -> AuthorisationSanction | None:
        found = [s for s in self.sanctions if s.authorisation_id == authorisation.pk and s.in_force_on(day)]
        found.sort(key=lambda s: s.kind != AuthorisationSanction.Kind.REVOCATION)
        return found[0] if found else None

    def for_occupation(self, occupation_id: int) -> list[StationAuthorisation]:
        return [a for a in self.authorisations if a.occupation_id == occupation_id]
