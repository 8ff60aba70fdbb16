from django.urls import path

from . import views

app_name = "certificates"

urlpatterns = [
    path("<int:pk>.pdf", views.certificate_pdf, name="certificate_pdf"),
    path("batches/<int:pk>/certificates.pdf", views.batch_pdf, name="batch_pdf"),
    path("proofs/<int:pk>.pdf", views.proof_pdf, name="proof_pdf"),
    path("archive/<int:pk>/consent-scan/", views.archive_scan, name="archive_scan"),
    path("consent-form.pdf", views.consent_form, name="consent_form"),
    path("consent-form/<int:registration_id>.pdf", views.consent_form, name="consent_form_filled"),
    path("uploads/<int:pk>/audit.pdf", views.audit_form_pdf, name="audit_form_pdf"),
    path("uploads/<int:pk>/audit.xlsx", views.audit_form_xlsx, name="audit_form_xlsx"),
    path("uploads/<int:pk>/data.csv", views.upload_data_file, name="upload_data_file"),
]
