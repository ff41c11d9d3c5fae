from django.apps import AppConfig


class FhirApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "fhirapi"
    verbose_name = "FHIR API"
