"""The candidate admin: display only, saving through the services.

PIPL: the list and the change form show ID numbers and mobile numbers masked unless the
user holds ``candidates.view_full_id_number``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from catalog.admin_scope import ScopedAdmin, request_user
from catalog.selectors import station_scope
from kit import audit, privacy
from kit.admin import ViewOnlyMixin
from kit.html import format_html
from kit.permissions import FULL_ID_PERMISSION

from .models import Candidate, CandidateNotice
from .photos import photo_jpeg
from .selectors import visible_candidates
from .services import EDITABLE_FIELDS, candidate_photo_set, candidate_update, candidate_upsert
from .validators import ID_NUMBER_SHAPE, PHONE_SHAPE, mask_id_number, mask_phone, normalise_id_number, normalise_phone

# Full field -> the masked read-only display that replaces it for users without the permission.
MASKED = {"id_number": "masked_id_number", "phone": "masked_phone"}
# Raw input may carry spaces, full-width digits or a +86 prefix; the model normalises it.
RAW_INPUT_MAX_LENGTH = {"id_number": 40, "phone": 20}


def sees_full_id_numbers(request: HttpRequest) -> bool:
    return request.user.has_perm(FULL_ID_PERMISSION)


def masked_search_term(term: str) -> str:
    """What was searched for, as the access log may keep it: a typed ID or phone number masked."""
    id_number, phone = normalise_id_number(term), normalise_phone(term)
    if ID_NUMBER_SHAPE.fullmatch(id_number):
        return mask_id_number(id_number)
    if PHONE_SHAPE.fullmatch(phone):
        return mask_phone(phone)
    return term.strip()[:40]


PHOTO_HELP = "JPEG或PNG格式的证件照；保存时重新编码并去除EXIF等元数据。上传新照片即替换原照片。"


def photo_url(candidate: Candidate) -> str:
    """The address of a candidate's photo: the candidate admin's own view, which answers
    only users who may see that candidate (never MEDIA_URL)."""
    return reverse("admin:candidates_candidate_photo", args=[candidate.pk])


def photo_tag(candidate: Candidate, height: int = 160) -> str:
    """The photo as an <img> for a page, or 暂无照片."""
    if not candidate.photo:
        return "暂无照片"
    return format_html(
        '<img src="{}" alt="考生照片" class="candidate-photo" style="height:{}px;border:1px solid #ccc">',
        photo_url(candidate),
        height,
    )


class HistoryByIdNumberForm(forms.Form):
    id_number = forms.CharField(
        label="公民身份号码",
        max_length=RAW_INPUT_MAX_LENGTH["id_number"],
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
        help_text="完整的18位号码（历史记录只保存打码后的号码和它的密钥散列，部分号码无法查找）",
    )

    def clean_id_number(self) -> str:
        number = normalise_id_number(self.cleaned_data["id_number"])
        if not ID_NUMBER_SHAPE.fullmatch(number):
            raise ValidationError("请输入完整的18位公民身份号码（前17位为数字，末位为数字或X）。")
        return number


class CandidateForm(forms.ModelForm):
    new_photo = forms.FileField(label="上传照片", required=False, help_text=PHOTO_HELP)

    class Meta:
        model = Candidate
        fields: list[str] = []

    def clean_new_photo(self) -> tuple[bytes, str] | None:
        """The upload's bytes and name, once the photo rules accept them (the service
        checks them again when it saves: the rules live in one place)."""
        upload = self.cleaned_data.get("new_photo")
        if not upload:
            return None
        content = upload.read()
        photo_jpeg(content, upload.name)  # raises ValidationError naming the file and the rule
        return content, upload.name


@admin.register(Candidate)
class CandidateAdmin(ScopedAdmin):
    # A clerk sees the people registered at their station, and those their station
    # entered who are not registered yet.
    scope_station_path = None

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        return visible_candidates(request.user, qs)

    # Newest entered first (the order of the primary key): a province's list finds its page
    # without sorting everyone it may see (Chinese names in code-point order help nobody).
    ordering = ["-pk"]
    list_filter = ["education", "trainee_kind"]
    search_fields = ["name__nameprefix"]
    search_help_text = "按姓名查找（全名或开头的字），或输入完整的公民身份号码、手机号精确查找"
    change_list_template = "candidates/candidate_change_list.html"
    form = CandidateForm
    readonly_fields = ["birth_date", "sex", "photo_preview"]
    autocomplete_fields = ["plan_occupation"]
    fieldsets = [
        (None, {"fields": ["name", "id_number", "birth_date", "sex", "phone"]}),
        ("照片", {"fields": ["photo_preview", "new_photo"]}),
        ("文化程度与工作年限", {"fields": ["education", "diploma", "years_in_trade"]}),
        (
            "已有职业资格证书",
            {"fields": ["prior_certificate_level", "prior_certificate_number", "prior_certificate_date"]},
        ),
        (
            "培养计划",
            {
                "fields": [
                    "trainee_kind",
                    "school_or_enterprise",
                    "training_plan",
                    "plan_occupation",
                    "expected_finish_date",
                ]
            },
        ),
    ]

    # --- what is shown --------------------------------------------------------------

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None) -> Any:
        response = super().change_view(request, object_id, form_url, extra_context)
        candidate = getattr(response, "context_data", {}).get("original")
        if response.status_code == 200 and candidate is not None and sees_full_id_numbers(request):
            audit.record(
                request,
                action=audit.UNMASK,
                subject=f"考生 {candidate.name}（编号 {candidate.pk}）",
                reason="打开考生信息页",
            )
        return response

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if response.status_code == 200 and changelist is not None and sees_full_id_numbers(request):
            shown = list(changelist.result_list)
            if shown:
                names = "、".join(c.name for c in shown[:10]) + ("等" if len(shown) > 10 else "")
                audit.record(
                    request,
                    action=audit.UNMASK,
                    subject=f"考生列表 {len(shown)} 人：{names}",
                    reason=f"查找：{masked_search_term(request.GET['q'])}" if request.GET.get("q") else "浏览考生列表",
                )
        return response

    def get_list_display(self, request: HttpRequest) -> Any:
        columns = ["name", "id_number", "sex", "phone", "education", "trainee_kind"]
        if sees_full_id_numbers(request):
            return columns
        return [MASKED.get(column, column) for column in columns]

    def _masks_on(self, request: HttpRequest, obj: Model | None) -> bool:
        # The add form (no obj) takes the full values: that is how they get typed in.
        return obj is not None and not sees_full_id_numbers(request)

    def get_fieldsets(self, request: HttpRequest, obj: Model | None = None) -> Any:
        fieldsets: Any = super().get_fieldsets(request, obj)
        if not self.has_change_permission(request, obj):
            # Read-only (a supervisor, the trainee work list): the photo, no upload field.
            fieldsets = [
                (title, {**options, "fields": [name for name in options["fields"] if name != "new_photo"]})
                for title, options in fieldsets
            ]
        if not self._masks_on(request, obj):
            return fieldsets
        return [
            (title, {**options, "fields": [MASKED.get(name, name) for name in options["fields"]]})
            for title, options in fieldsets
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if self._masks_on(request, obj):
            readonly += MASKED.values()
        return readonly

    @admin.display(description="照片")
    def photo_preview(self, obj: Candidate) -> str:
        return photo_tag(obj) if obj.pk else "暂无照片"

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(self.photo_view)
        opts = self.opts  # subclasses (proxies of the candidate) get names of their own
        name = f"{opts.app_label}_{opts.model_name}_photo"
        by_number = self.admin_site.admin_view(self.history_by_id_number_view)
        return [
            path("<int:object_id>/photo/", view, name=name),
            path("history-by-id-number/", by_number, name=f"{opts.app_label}_{opts.model_name}_history_by_id_number"),
            *super().get_urls(),
        ]

    @method_decorator(never_cache)
    def history_by_id_number_view(self, request: HttpRequest) -> HttpResponse:
        """按身份证号查找历史记录: the history rows of whoever had this full number, found by
        its keyed hash (kit.privacy), including a number since corrected; only for users who
        may see full numbers, only candidates in their scope, and recorded in the access log.
        The number is posted, never put in the address."""
        if not (self.has_view_permission(request) and sees_full_id_numbers(request)):
            raise PermissionDenied
        form = HistoryByIdNumberForm(request.POST or None)
        found: list[dict[str, Any]] | None = None
        searched = ""
        if request.method == "POST" and form.is_valid():
            number = form.cleaned_data["id_number"]
            rows = Candidate.history.filter(id_number_digest=privacy.id_number_digest(number))
            visible = set(self.get_queryset(request).filter(pk__in=rows.values("id")).values_list("pk", flat=True))
            found = []
            for candidate in Candidate.objects.filter(pk__in=visible).order_by("pk"):
                records = list(rows.filter(id=candidate.pk).select_related("history_user").order_by("-history_date"))
                found.append(
                    {
                        "candidate": candidate,
                        "current": candidate.id_number == number,
                        "records": records,
                        "history_url": reverse(
                            f"admin:{self.opts.app_label}_{self.opts.model_name}_history", args=[candidate.pk]
                        ),
                    }
                )
            names = "、".join(item["candidate"].name for item in found) or "无"
            audit.record(
                request,
                action=audit.UNMASK,
                subject=f"按公民身份号码 {mask_id_number(number)} 查找历史记录：考生 {names}",
                reason="按完整身份证号查找历史记录",
            )
            form = HistoryByIdNumberForm()  # the page shows the number masked, not as typed
            searched = mask_id_number(number)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "按公民身份号码查找历史记录",
            "form": form,
            "found": found,
            "searched": searched,
        }
        return TemplateResponse(request, "candidates/history_by_id_number.html", context)

    @method_decorator(never_cache)
    def photo_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """The photo itself, to users who may see the candidate; 404 for anyone else (a
        crafted address does not even tell that the candidate exists)."""
        if not self.has_view_permission(request):
            raise Http404
        candidate = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not candidate.photo:
            raise Http404
        with candidate.photo.open("rb") as stored:
            response = HttpResponse(stored.read(), content_type="image/jpeg")
        response["Content-Disposition"] = "inline"
        return response

    @admin.display(description="公民身份号码")
    def masked_id_number(self, obj: Candidate) -> str:
        return mask_id_number(obj.id_number)

    @admin.display(description="手机号")
    def masked_phone(self, obj: Candidate) -> str:
        return mask_phone(obj.phone)

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name in RAW_INPUT_MAX_LENGTH:
            return forms.CharField(
                label=db_field.verbose_name,
                help_text=db_field.help_text,
                max_length=RAW_INPUT_MAX_LENGTH[db_field.name],
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    # --- search ---------------------------------------------------------------------

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        """An ID number or a mobile number matches exactly (on the normalised value); any
        other text searches names. Partial numbers are not searched: a fragment of
        someone's ID number should not list strangers."""
        id_number = normalise_id_number(search_term)
        if ID_NUMBER_SHAPE.fullmatch(id_number):
            return queryset.filter(id_number=id_number), False
        phone = normalise_phone(search_term)
        if PHONE_SHAPE.fullmatch(phone):
            return queryset.filter(phone=phone), False
        return super().get_search_results(request, queryset, search_term)

    # --- saving goes through the services ------------------------------------------

    def save_model(self, request: HttpRequest, obj: Candidate, form: forms.ModelForm, change: bool) -> None:
        self._save_fields(request, obj, form, change)
        photo = form.cleaned_data.get("new_photo")
        if photo is not None:
            content, name = photo
            try:
                candidate_photo_set(
                    actor=request_user(request), candidate=Candidate.objects.get(pk=obj.pk), content=content, name=name
                )
            except ValidationError as error:  # checked by the form already; a race at most
                self.message_user(request, "；".join(error.messages), level="error")

    def _save_fields(self, request: HttpRequest, obj: Candidate, form: forms.ModelForm, change: bool) -> None:
        if change:
            stored = Candidate.objects.get(pk=obj.pk)
            changes = {name: getattr(obj, name) for name in form.changed_data if name != "new_photo"}
            candidate_update(actor=request_user(request), candidate=stored, **changes)
            return
        values = {name: getattr(obj, name) for name in EDITABLE_FIELDS}
        saved = candidate_upsert(actor=request_user(request), id_number=obj.id_number, **values)
        # The admin goes on with obj (messages, the redirect): make it the saved row.
        obj.pk = saved.pk
        obj.birth_date, obj.sex = saved.birth_date, saved.sex
        obj._state.adding = False
        obj._state.db = saved._state.db


@admin.register(CandidateNotice)
class CandidateNoticeAdmin(ViewOnlyMixin, ScopedAdmin):
    """考生告知短信: what each candidate was told and when, read-only (the sweep and the
    services write it). The number is always masked: the text is what matters here."""

    scope_station_path = None
    list_display = ["created_at", "candidate_name", "event", "masked_phone", "text", "sent_at"]
    list_filter = ["event", "sent_at"]
    search_fields = ["candidate__name__nameprefix"]
    list_select_related = ["candidate"]
    fields = ["candidate_name", "event", "key", "masked_phone", "text", "created_at", "sent_at"]
    readonly_fields = ["candidate_name", "event", "key", "masked_phone", "text", "created_at", "sent_at"]

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        if station_scope(request.user) is None:
            return qs
        return qs.filter(candidate__in=visible_candidates(request.user).values("pk"))

    @admin.display(description="考生", ordering="candidate__name")
    def candidate_name(self, obj: CandidateNotice) -> str:
        return obj.candidate.name

    @admin.display(description="发送号码")
    def masked_phone(self, obj: CandidateNotice) -> str:
        return mask_phone(obj.phone)
