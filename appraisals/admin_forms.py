"""Admin forms whose save is a service call.

The service runs while the form is validated, inside the admin's transaction and a
savepoint: a rule it refuses becomes a form error in Chinese on the right field, and
nothing is saved. The admin's ``save_model`` then only adopts what the service made."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest


class ServiceForm(forms.ModelForm):
    actor: Any = None  # the request's user, set by ServiceFormAdminMixin.get_form
    # A service's error on a field this form calls by another name: {service's: form's}.
    service_error_fields: dict[str, str] = {}

    def perform(self) -> Model:
        raise NotImplementedError

    def _post_clean(self) -> None:
        super()._post_clean()
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

    def _add_service_error(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for name, messages in error.message_dict.items():
                field = self.service_error_fields.get(name, name)
                self.add_error(field if field in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)


class ServiceFormAdminMixin:
    """Use ``add_form`` (a ServiceForm) for the add view and save through it."""

    add_form: type[ServiceForm] | None = None

    def get_form(self, request: HttpRequest, obj: Model | None = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None and self.add_form is not None:
            kwargs["form"] = self.add_form
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def save_model(self, request: HttpRequest, obj: Model, form: forms.ModelForm, change: bool) -> None:
        performed = getattr(form, "performed", None)
        if performed is None:
            super().save_model(request, obj, form, change)
            return
        obj.__dict__.update(performed.__dict__)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        if getattr(form, "performed", None) is not None:
            form.instance = form.performed
            for formset in formsets:
                formset.instance = form.performed
        super().save_related(request, form, formsets, change)
