from django.apps import AppConfig


class CredentialsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "credentials"
    verbose_name = "Credentials"

    def ready(self):
        from directory import hooks

        from . import services

        # The directory's write services call this when listings change (see directory.hooks).
        hooks.register(services.listings_requalify)
