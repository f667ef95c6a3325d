"""HTML pages: login, language switch, the tree browser, admin."""

import re

from django.urls import reverse


def test_login_page_is_chinese_by_default_and_uses_local_assets(db, zh_client):
    response = zh_client.get("/accounts/login/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in html
    assert "登录" in html
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:css|js))"', html)
    assert assets, "no assets found"
    assert all(a.startswith("/static/") for a in assets), assets
    assert "bootstrap.min.css" in html


def test_static_assets_are_served_by_the_portal(db, client):
    for path in ("/static/vendor/bootstrap/css/bootstrap.min.css", "/static/css/portal.css"):
        response = client.get(path)
        assert response.status_code == 200, path


def test_login_and_logout(city, personas, zh_client):
    client = zh_client
    personas.street_officer_a.set_password("s3cret-pass!")
    personas.street_officer_a.save()
    response = client.post("/accounts/login/", {"username": "street_a", "password": "s3cret-pass!"})
    assert response.status_code == 302
    home = client.get("/")
    assert "新华街道" in home.content.decode()
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302


def test_wrong_password_shows_an_error(db, zh_client):
    response = zh_client.post("/accounts/login/", {"username": "nobody", "password": "x"})
    assert response.status_code == 200
    assert "用户名和密码不匹配" in response.content.decode()


def test_language_switch_to_english_and_back(city, personas, zh_client):
    client = zh_client
    client.force_login(personas.street_officer_a)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "My posts" in html
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "我的岗位" in client.get("/").content.decode()


def test_area_pages_are_scoped(city, personas, zh_client):
    client = zh_client
    client.force_login(personas.street_officer_a)
    page = client.get(reverse("area-detail", args=[city.street_a.pk]))
    assert page.status_code == 200
    assert "新华社区" in page.content.decode()
    assert client.get(reverse("area-detail", args=[city.street_b.pk])).status_code == 404
    tree = client.get(reverse("area-tree")).content.decode()
    assert "乌海市" in tree


def test_admin_area_tree_and_create_through_the_action(city, personas, client):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")
    client.force_login(admin)
    assert client.get("/admin/governance/area/").status_code == 200
    response = client.post(
        "/admin/governance/area/add/",
        {
            "parent": city.community_a.pk,
            "name": "管理后台网格",
            "code": "",
            "code_history-TOTAL_FORMS": "0",
            "code_history-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    from governance.models import Area

    grid = Area.objects.get(name="管理后台网格")
    assert grid.code == "150302001001003"
    from core.audit import history

    assert history(grid).get().actor == admin


def test_admin_rejects_a_bad_code_with_a_message(city, client):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")
    client.force_login(admin)
    response = client.post(
        "/admin/governance/area/add/",
        {
            "parent": city.community_a.pk,
            "name": "坏网格",
            "code": "123",
            "code_history-TOTAL_FORMS": "0",
            "code_history-INITIAL_FORMS": "0",
        },
        follow=True,
    )
    assert "15" in response.content.decode()
    from governance.models import Area

    assert not Area.objects.filter(name="坏网格").exists()


def test_admin_merge_view(city, client):
    from django.contrib.auth import get_user_model

    from governance.models import Area

    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")
    client.force_login(admin)
    url = f"/admin/governance/area/{city.community_b.pk}/merge/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"target": city.community_a.pk, "note": "撤并"})
    assert response.status_code == 302
    assert Area.objects.get(pk=city.community_b.pk).merged_into_id == city.community_a.pk
