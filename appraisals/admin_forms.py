"""Admin forms whose save is a service call.

The service runs while the form is validated, inside the admin's transaction and a
savepoint: a rule it refuses becomes a form error in Chinese on the right field, and
nothing is saved. The form's ``save`` then returns the service's object, which the admin
goes on with (``save_model`` has nothing left to do; inlines and many-to-many fields are
saved against it)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.admin import widgets as admin_widgets
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest

from .models import Refund, Registration
from .services import RefundTerms


class ServiceForm(forms.ModelForm):
    actor: Any = None  # the request's user, set by ServiceFormAdminMixin.get_form
    # A service's error on a field this form calls by another name: {service's: form's}.
    service_error_fields: dict[str, str] = {}

    def perform(self) -> Model:
        raise NotImplementedError

    def _post_clean(self) -> None:
        # The service runs after the model's own validation in ModelForm._post_clean, a
        # private hook that django-stubs does not declare.
        super()._post_clean()  # type: ignore[misc]
        if self.errors:
            return
        savepoint = transaction.savepoint()
        try:
            self.performed = self.perform()
        except ValidationError as error:
            transaction.savepoint_rollback(savepoint)
            self._add_service_error(error)
        else:
            transaction.savepoint_commit(savepoint)

    def save(self, commit: bool = True) -> Model:
        """The service's object: it is already saved. What the admin saves after the form
        (many-to-many fields, inlines) is saved against it."""
        performed = getattr(self, "performed", None)
        if performed is None:
            return super().save(commit)
        self.instance = performed
        super().save(commit=False)  # sets up save_m2m() for the form's many-to-many fields
        if commit:
            self.save_m2m()
        return performed

    def _add_service_error(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for name, messages in error.message_dict.items():
                field = self.service_error_fields.get(name, name)
                self.add_error(field if field in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)


if TYPE_CHECKING:
    # For the type checker the mixin is a ModelAdmin (it is only ever mixed into one).
    _AdminBase = admin.ModelAdmin
else:
    _AdminBase = object


class ServiceFormAdminMixin(_AdminBase):
    """Use ``add_form`` (a ServiceForm) for the add view and save through it."""

    add_form: type[ServiceForm] | None = None

    def get_form(self, request: HttpRequest, obj: Model | None = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None and self.add_form is not None:
            kwargs["form"] = self.add_form
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def save_model(self, request: HttpRequest, obj: Model, form: forms.ModelForm, change: bool) -> None:
        if getattr(form, "performed", None) is None:  # a change form: a plain save
            super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        performed = getattr(form, "performed", None)
        if performed is not None:
            # The inlines were bound to the form's unsaved instance before the service ran.
            for formset in formsets:
                formset.instance = performed
        super().save_related(request, form, formsets, change)


# --- the forms of an action's confirmation page and of one-step pages --------------------------


class RefundConfirmForm(forms.Form):
    """The second look before 放弃鉴定并退费: one amount per case (the fee paid unless
    the clerk types less), one refund date, method and reason for all of them."""

    refund_date = forms.DateField(label="退费日期", widget=admin_widgets.AdminDateWidget)
    method = forms.ChoiceField(label="退费方式", choices=Refund.Method.choices, initial=Refund.Method.ORIGINAL)
    reason_kind = forms.ChoiceField(label="退费原因", choices=Refund.Reason.choices, initial=Refund.Reason.AFTER_CUTOFF)
    reason = forms.CharField(
        label="原因说明",
        max_length=300,
        widget=admin_widgets.AdminTextInputWidget(attrs={"size": 60}),
        help_text="必填，记入退费记录，例如：考生自愿放弃鉴定。",
        error_messages={"required": "请填写放弃原因。"},
    )

    def __init__(self, *args: Any, registrations: Sequence[Registration], today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.registrations = list(registrations)
        self.fields["refund_date"].initial = today
        for registration in self.registrations:
            self.fields[self.amount_name(registration)] = forms.DecimalField(
                label=f"{registration.candidate.name}的退费金额（元）",
                max_digits=8,
                decimal_places=2,
                min_value=Decimal("0"),
                max_value=registration.fee,
                initial=registration.fee,
                error_messages={
                    "max_value": f"退费金额不能超过所缴鉴定费 {registration.fee} 元。",
                    "min_value": "退费金额不能为负数。",
                },
                widget=forms.NumberInput(attrs={"step": "0.01", "style": "width: 8em"}),
            )

    @staticmethod
    def amount_name(registration: Registration) -> str:
        return f"amount_{registration.pk}"

    def rows(self) -> list[tuple[Registration, forms.BoundField]]:
        """Each case with its amount field, for the page's table."""
        return [(r, self[self.amount_name(r)]) for r in self.registrations]

    def terms(self, registration: Registration) -> RefundTerms:
        data = self.cleaned_data
        return RefundTerms(
            amount=data[self.amount_name(registration)],
            refund_date=data["refund_date"],
            method=data["method"],
            reason=data["reason"],
            reason_kind=data["reason_kind"],
        )


class ConsentScanForm(forms.Form):
    """The scan of a consent form recorded without one (登记已收到纸质自愿书)."""

    scan = forms.FileField(
        label="自愿书扫描件", help_text="签字的纸质自愿书的扫描件或照片（PDF、JPG、PNG）。上传后不能替换。"
    )
