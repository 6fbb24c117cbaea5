"""The dock's providers go through the proxy set in QGIS (Settings ▸ Options ▸ Network): a real forward
proxy on loopback sees the catalog requests with the proxy credentials, and the settings dialog's text
shows the proxy without its password.
"""

from __future__ import annotations

import base64
import threading

import pytest
from qgis.core import QgsNetworkAccessManager

from scene_picker.core.query import Query
from scene_picker.demo.generate import generate
from scene_picker.demo.server import RangeServer
from scene_picker.ui import settings
from scene_picker.ui.network import proxy_description
from scene_picker.ui.providers_info import endpoint_setting, make_provider

from support.forward_proxy import ForwardProxy
from support.ui_wait import clear_plugin_settings, private_qgis_settings

pytestmark = pytest.mark.qgis

USER, PASSWORD = "analyst", "p@ss:w/rd"


@pytest.fixture()
def forward_proxy():
    with ForwardProxy() as proxy:
        yield proxy


def _set_qgis_proxy(port: int | None, excluded: list[str] | None = None) -> None:
    """What QGIS's Options ▸ Network page does: the proxy keys in QgsSettings, then the manager re-reads
    them (a worker thread's manager reads the same keys when it is created)."""
    from qgis.core import QgsSettings

    qsettings = QgsSettings()
    if port is None:
        qsettings.remove("proxy")
    else:
        for key, value in {
            "proxyEnabled": True,
            "proxyType": "HttpProxy",
            "proxyHost": "127.0.0.1",
            "proxyPort": str(port),
            "proxyUser": USER,
            "proxyPassword": PASSWORD,
            "proxyExcludedUrls": excluded or [],
        }.items():
            qsettings.setValue(f"proxy/{key}", value)
    qsettings.sync()
    QgsNetworkAccessManager.instance().setupDefaultProxyAndCache()


def _search_in_a_worker_thread(count: int) -> list:
    """make_provider + search on a thread of its own, as the dock's QgsTasks do."""
    out: list = []

    def work() -> None:
        provider = make_provider("stac-static")
        results = provider.search(Query.build(max_results=count))
        try:
            out.extend(results)
        finally:
            results.close()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(60)
    assert not thread.is_alive()
    return out


def test_catalog_requests_go_through_the_qgis_proxy(tmp_path, forward_proxy):
    catalog = generate(tmp_path / "catalog")
    port = forward_proxy.port
    with private_qgis_settings(tmp_path / "qgis-settings"), RangeServer(catalog.root) as server:
        clear_plugin_settings()
        url = server.url_for(catalog.catalog_relpath)
        settings.write_setting(endpoint_setting("stac-static"), url)
        _set_qgis_proxy(port)
        try:
            scenes = _search_in_a_worker_thread(3)
            # what the settings dialog shows: the proxy, never its password
            description = proxy_description()
        finally:
            _set_qgis_proxy(None)
            clear_plugin_settings()

    assert len(scenes) == 3
    assert forward_proxy.seen, "no request went through the proxy"
    assert forward_proxy.seen[0][1] == url  # an absolute URI: a forward-proxy request
    expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert {auth for _method, _url, auth in forward_proxy.seen} == {expected}
    assert description == f"http://127.0.0.1:{port}"


def test_without_a_qgis_proxy_the_catalog_is_reached_directly(tmp_path, forward_proxy):
    catalog = generate(tmp_path / "catalog")
    with private_qgis_settings(tmp_path / "qgis-settings"), RangeServer(catalog.root) as server:
        clear_plugin_settings()
        settings.write_setting(endpoint_setting("stac-static"), server.url_for(catalog.catalog_relpath))
        assert len(_search_in_a_worker_thread(2)) == 2
        clear_plugin_settings()
    assert forward_proxy.seen == []
    assert proxy_description() == ""


def test_a_url_on_the_qgis_exclusion_list_is_reached_directly(tmp_path, forward_proxy):
    catalog = generate(tmp_path / "catalog")
    port = forward_proxy.port
    with private_qgis_settings(tmp_path / "qgis-settings"), RangeServer(catalog.root) as server:
        clear_plugin_settings()
        url = server.url_for(catalog.catalog_relpath)
        settings.write_setting(endpoint_setting("stac-static"), url)
        prefix = url.rsplit("/", 1)[0] + "/"  # http://127.0.0.1:PORT/
        _set_qgis_proxy(port, excluded=["https://intranet.example/", prefix])
        try:
            scenes = _search_in_a_worker_thread(2)
            proxies = make_provider("stac-static").http.session.proxies
        finally:
            _set_qgis_proxy(None)
            clear_plugin_settings()
    assert len(scenes) == 2
    assert forward_proxy.seen == []  # the catalog was reached directly
    assert proxies["http://127.0.0.1"] == "" and proxies["https://intranet.example"] == ""
    assert proxies["http"] == proxies["https"] != ""  # every other host still goes through QGIS's proxy
