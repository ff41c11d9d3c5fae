"""Seed the specialty (condition), technique and language vocabularies."""
from django.db import migrations

SPECIALTIES = [
    ("neck-pain", "Neck pain"),
    ("shoulder-pain", "Shoulder pain"),
    ("low-back-pain", "Low back pain"),
    ("sciatica", "Sciatica"),
    ("arthritis", "Arthritis"),
    ("fibromyalgia", "Fibromyalgia"),
    ("sports-injuries", "Sports injuries"),
    ("headaches", "Headaches and migraine"),
    ("tmj", "TMJ (jaw) disorders"),
    ("plantar-fasciitis", "Plantar fasciitis"),
    ("tennis-elbow", "Tennis elbow"),
    ("hip-pain", "Hip pain"),
    ("knee-pain", "Knee pain"),
    ("myofascial-pain", "Myofascial pain syndrome"),
    ("tendinopathy", "Tendinopathy"),
]

TECHNIQUES = [
    ("superficial-dry-needling", "Superficial dry needling", "Needles placed in the tissue above a trigger point."),
    ("deep-dry-needling", "Deep dry needling", "Needles placed into the myofascial trigger point itself."),
    (
        "intramuscular-stimulation",
        "Intramuscular stimulation (IMS)",
        "Gunn's approach to neuropathic muscle pain, needling near the spine and in shortened muscles.",
    ),
    ("electrical-dry-needling", "Electrical dry needling", "Needles connected to a low-level electrical current."),
]

LANGUAGES = [
    ("en", "English"),
    ("es", "Spanish"),
    ("zh", "Chinese"),
    ("vi", "Vietnamese"),
    ("tl", "Tagalog"),
    ("ko", "Korean"),
    ("ru", "Russian"),
    ("ar", "Arabic"),
    ("fr", "French"),
    ("de", "German"),
    ("pt", "Portuguese"),
    ("hi", "Hindi"),
    ("ja", "Japanese"),
    ("it", "Italian"),
    ("pl", "Polish"),
    ("ht", "Haitian Creole"),
    ("asl", "American Sign Language"),
]


def seed(apps, schema_editor):
    Specialty = apps.get_model("directory", "Specialty")
    Technique = apps.get_model("directory", "Technique")
    Language = apps.get_model("directory", "Language")
    for slug, name in SPECIALTIES:
        Specialty.objects.update_or_create(slug=slug, defaults={"name": name})
    for slug, name, description in TECHNIQUES:
        Technique.objects.update_or_create(slug=slug, defaults={"name": name, "description": description})
    for code, name in LANGUAGES:
        Language.objects.update_or_create(code=code, defaults={"name": name})


def unseed(apps, schema_editor):
    apps.get_model("directory", "Specialty").objects.filter(slug__in=[s for s, _ in SPECIALTIES]).delete()
    apps.get_model("directory", "Technique").objects.filter(slug__in=[t[0] for t in TECHNIQUES]).delete()
    apps.get_model("directory", "Language").objects.filter(code__in=[c for c, _ in LANGUAGES]).delete()


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
