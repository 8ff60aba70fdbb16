"""Authentication backend: Django's, reading a staff member's permissions and roles at once."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db.models import CharField, Value


class RoleModelBackend(ModelBackend):
    """Django's ModelBackend, with a staff member's permissions (their own and their
    groups') and role names (the groups, which the scopes read: catalog.selectors) read in
    one query per request, where Django reads the two kinds of permission apart and the
    scopes read the groups a third time."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if hasattr(user_obj, "_perm_cache") or user_obj.is_superuser:
            return super().get_all_permissions(user_obj, obj)
        from_groups = Group.objects.filter(user=user_obj).values_list(
            "name", "permissions__content_type__app_label", "permissions__codename"
        )
        own = (
            Permission.objects.filter(user=user_obj)
            .annotate(group_name=Value(None, output_field=CharField()))
            .values_list("group_name", "content_type__app_label", "codename")
        )
        roles: set[str] = set()
        group_perms: set[str] = set()
        user_perms: set[str] = set()
        for group, app_label, codename in from_groups.order_by().union(own.order_by(), all=True):
            if group is not None:
                roles.add(group)
            if codename is not None:
                (group_perms if group is not None else user_perms).add(f"{app_label}.{codename}")
        user_obj._user_perm_cache = user_perms
        user_obj._group_perm_cache = group_perms
        user_obj._perm_cache = user_perms | group_perms
        user_obj._jianding_roles = roles  # catalog.selectors._role_names reads it
        return user_obj._perm_cache
