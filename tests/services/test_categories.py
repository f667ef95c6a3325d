from services.models import Category, CategoryCitySetting
from services.selectors import categories_for_city


def test_reference_categories_follow_gbt_30428_and_12345(categories):
    components = set(
        Category.objects.filter(kind="component", parent=None).values_list("name", flat=True)
    )
    events = set(Category.objects.filter(kind="event", parent=None).values_list("name", flat=True))
    requests = set(Category.objects.filter(kind="request").values_list("name", flat=True))
    assert components == {"公用设施", "道路交通", "市容环境", "园林绿化", "房屋土地", "其他设施"}
    assert events == {"市容环境", "宣传广告", "施工管理", "突发事件", "街面秩序"}
    assert requests == {"咨询", "求助", "投诉", "举报", "建议"}
    for parent in Category.objects.filter(parent=None).exclude(kind="request"):
        assert parent.children.count() >= 3, parent
    garbage = categories["E0101"]
    assert (garbage.clock_amount, garbage.clock_unit) == (1, "working_days")


def test_a_city_can_switch_categories_on_and_off(city, categories):
    noise = categories["E0108"]
    assert noise in categories_for_city(city.city)
    CategoryCitySetting.objects.create(category=noise, city=city.city, enabled=False)
    assert noise not in categories_for_city(city.city)
    Category.objects.filter(pk=noise.pk).update(enabled=False)
    CategoryCitySetting.objects.filter(category=noise).update(enabled=True)
    assert noise in categories_for_city(city.city)


def test_categories_api_lists_the_city_set(city, personas, categories, api_as):
    CategoryCitySetting.objects.create(category=categories["E0108"], city=city.city, enabled=False)
    body = api_as(personas.grid_worker_a).get("/api/v1/categories/?kind=event").json()
    codes = {c["code"] for c in body["results"]}
    assert "E0101" in codes and "E0108" not in codes
    assert all(c["kind"] == "event" for c in body["results"])
