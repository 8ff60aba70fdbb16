"""Mounted at /admin/supervision/ before the admin's own URLs: the dashboard answers the
app's admin page. The names have no namespace, as before the app existed (bookmarks,
templates and the README use them)."""

from django.urls import path

from . import views
from .dashboard import dashboard

urlpatterns = [
    path("", dashboard, name="supervision_dashboard"),
    path("queue/", views.review_queue, name="supervision_review_queue"),
    path("records/<int:pk>/attachment/", views.record_attachment, name="supervision_record_attachment"),
]
