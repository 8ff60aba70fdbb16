from django.urls import path

from . import views

app_name = "appraisals"

urlpatterns = [
    path("tickets/<int:seat_id>.pdf", views.admission_ticket, name="admission_ticket"),
    path("sessions/<int:session_id>/tickets.pdf", views.session_tickets, name="session_tickets"),
]
