from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self):
        from . import lookups, public_cache

        # icontains and its kin as ILIKE, served by the names' trigram indexes; intarray's
        # overlap of integer arrays, served by the listings' languages index.
        lookups.register()

        # Every connection's writes to the directory's tables make the kept public answers stale.
        connection_created.connect(public_cache.install, dispatch_uid="public-cache-watch-writes")
