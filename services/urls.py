"""Page routes of the services app (the case workbenches)."""

from django.urls import path

from services import views

urlpatterns = [
    path("tickets/", views.ticket_list, name="ticket-list"),
    path("tickets/new/", views.ticket_new, name="ticket-new"),
    path("tickets/locate/", views.ticket_locate, name="ticket-locate"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket-detail"),
    path("tickets/<int:pk>/photos/<int:photo>/", views.ticket_photo, name="ticket-photo"),
    path("tickets/<int:pk>/review/<slug:kind>/", views.ticket_review, name="ticket-review"),
    path("tickets/<int:pk>/<slug:verb>/", views.ticket_step, name="ticket-step"),
    path("queue/", views.queue, name="queue"),
    path("queue/<int:dispatch_id>/claim/", views.queue_claim, name="queue-claim"),
    path("overview/", views.overview, name="overview"),
]
