from django.urls import path, re_path

from . import views

urlpatterns = [
    path("metadata", views.MetadataView.as_view(), name="fhir-metadata"),
    path("$export", views.ExportView.as_view(), name="fhir-export"),
    path("$export-status/<uuid:job_id>", views.ExportStatusView.as_view(), name="fhir-export-status"),
    re_path(
        r"^\$export-file/(?P<job_id>[0-9a-f-]{36})/(?P<resource_type>[A-Za-z]+)\.ndjson$",
        views.ExportFileView.as_view(),
        name="fhir-export-file",
    ),
    re_path(r"^(?P<resource_type>[A-Za-z]+)$", views.SearchView.as_view(), name="fhir-search"),
    re_path(r"^(?P<resource_type>[A-Za-z]+)/(?P<pk>[A-Za-z0-9\-.]{1,64})$", views.ReadView.as_view(), name="fhir-read"),
]
