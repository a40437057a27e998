import gc
import os

from django.core.wsgi import get_wsgi_application


def freeze_loaded_objects() -> None:
    """Exclude what start-up loaded (modules, settings, URL and model registries) from the
    cyclic garbage collector.

    Python's oldest-generation collection scans every tracked object; in a web process that is
    mostly start-up state, which never becomes garbage. Measured at 100,000 provisions, such a
    collection added ~90 ms to whichever request set it off (clause-type page: 28 ms usually,
    120–126 ms then); with start-up objects frozen, the slowest of the same requests took 59 ms.
    """
    gc.collect()
    gc.freeze()


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atlas.settings")
application = get_wsgi_application()
freeze_loaded_objects()
