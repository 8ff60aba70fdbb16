from django.urls import path

from . import views, views_io
from .admin import photos

app_name = "appraisals"

urlpatterns = [
    path("tickets/<int:seat_id>.pdf", views.admission_ticket, name="admission_ticket"),
    path("sessions/<int:session_id>/tickets.pdf", views.session_tickets, name="session_tickets"),
    path("consents/<int:consent_id>/scan/", views.consent_scan, name="consent_scan"),
    path("imports/template.xlsx", views_io.import_template, name="import_template"),
    path("imports/<int:job_id>/", views_io.import_job, name="import_job"),
    path("photos/import/", photos.photo_import, name="photo_import"),
    path("reports/municipal/", views_io.municipal_report, name="municipal_report"),
]
