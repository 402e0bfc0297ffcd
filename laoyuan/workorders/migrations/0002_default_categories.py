"""The default categories and their service-level targets (configurable afterwards)."""

from django.db import migrations

# code, name, English name, kind, response h, resolution h, photos required, dispatched at once to
CATEGORIES = [
    ("env-cleaning", "环境卫生", "Environment & cleaning", "environment", 24, 72, False, ""),
    ("parking", "停车秩序", "Parking order", "parking", 24, 72, False, ""),
    ("security", "治安安全", "Security", "security", 4, 24, False, ""),
    ("repair", "维修", "Repair", "repair", 24, 120, False, ""),
    ("emergency-lift", "电梯故障", "Lift breakdown", "emergency", 1, 24, True, "emergency"),
    ("emergency-fire", "消防设施", "Fire system fault", "emergency", 1, 24, True, "emergency"),
    ("emergency-leak", "屋面墙面渗漏", "Roof or wall leak", "emergency", 2, 48, True, "emergency"),
    ("emergency-facade", "外墙脱落", "Falling façade", "emergency", 1, 24, True, "emergency"),
    ("emergency-drain", "下水道堵塞", "Blocked drain", "emergency", 2, 24, True, "emergency"),
    ("emergency-railing", "护栏损坏", "Broken railing", "emergency", 2, 48, True, "emergency"),
    ("complaint", "矛盾投诉调解", "Complaint & mediation", "complaint", 24, 168, False, "mediation"),
    ("other", "其他", "Other", "other", 48, 168, False, ""),
]


def add(apps, schema_editor):
    Category = apps.get_model("workorders", "Category")
    for sort, row in enumerate(CATEGORIES):
        code, name, name_en, kind, response, resolution, photos, route = row
        Category.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "kind": kind,
                "response_hours": response,
                "resolution_hours": resolution,
                "photos_required": photos,
                "route_to": route,
                "sort": sort * 10,
                "keywords": f"{name},{name_en.lower()}",
            },
        )


def remove(apps, schema_editor):
    apps.get_model("workorders", "Category").objects.filter(
        code__in=[row[0] for row in CATEGORIES], orders__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("workorders", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
