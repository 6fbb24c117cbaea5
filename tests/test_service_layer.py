"""The service layer (``catalogs``) and the providers' specs: options checked against the spec, the spec
printed, platform spellings, discovery, and one network configuration reaching every HTTP client."""

from __future__ import annotations

import datetime as dt

import pytest

from scene_picker.catalogs import NetworkConfig, build_provider, list_providers, provider_spec
from scene_picker.cli.main import main
from scene_picker.core.credentials import delete_credentials, store_credentials
from scene_picker.core.errors import UsageError
from scene_picker.core.platforms import canonical_platform, normalise_platform
from scene_picker.core.query import Query
from scene_picker.providers import registry
from scene_picker.providers.base import Provider

from support.forward_proxy import ForwardProxy
from support.planet_emulator import PlanetEmulator

KEY = "PLAKservice0123456789"


def test_every_provider_module_is_discovered_with_its_spec():
    names = {spec.name for spec in list_providers()}
    assert {"stac", "stac-static", "geodes", "terrascope", "cmr", "usgs", "planet", "cdse"} <= names
    assert registry.canonical_name("theia") == "geodes"  # the alias comes from the spec
    for spec in list_providers():
        assert spec.title and all(option.help for option in spec.options), spec.name


def test_options_are_converted_to_the_declared_types():
    provider = build_provider("cdse", {"slice_days": "7.5", "online_only": "yes", "page_size": "20"})
    assert provider.slice_length == dt.timedelta(days=7.5) and provider.page_size == 20
    assert provider.online_only is True
    assert build_provider("cdse", {"online_only": "no"}).online_only is False
    terrascope = build_provider("terrascope", {"api": "stac"})
    assert terrascope.api == "stac"


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("terrascope", {"bogus": "1"}, "valid options: url, token_url"),
        ("cdse", {"slice_days": "soon"}, "takes a float"),
        ("terrascope", {"api": "soap"}, "one of opensearch, stac"),
        ("stac", {"page_size": "many"}, "takes an int"),
    ],
)
def test_a_bad_option_is_a_usage_error_naming_what_is_valid(name, options, message):
    with pytest.raises(UsageError, match=message):
        build_provider(name, options)


def test_cli_option_is_validated_against_the_spec(capsys):
    assert main(["search", "--provider", "cdse", "--option", "nope=1", "--bbox", "0,0,1,1"]) == 2
    err = capsys.readouterr().err
    assert "no option 'nope'" in err and "slice_days" in err
    assert main(["search", "--provider", "cdse", "--option", "slice_days", "--bbox", "0,0,1,1"]) == 2
    assert "NAME=VALUE" in capsys.readouterr().err


def test_providers_details_prints_the_spec(capsys):
    assert main(["providers", "--details", "terrascope"]) == 0
    out = capsys.readouterr().out
    spec = provider_spec("terrascope")
    assert spec.title in out and "api (opensearch|stac, default opensearch)" in out
    assert "80 requests / 10 s" in out and spec.credentials.signup_url in out


@pytest.mark.parametrize("spelling", ["LANDSAT_8", "landsat-8", "Landsat 8", "Landsat8", "landsat_8"])
def test_platform_spellings_reach_every_provider_as_one(spelling):
    assert Query.build(platforms=spelling).platforms == ("landsat-8",)
    assert canonical_platform(spelling) == "landsat-8"


def test_satellite_letters_and_lettered_missions_survive():
    assert Query.build(platforms="Sentinel-2A, SENTINEL_5P").platforms == ("sentinel-2a", "sentinel-5p")
    assert normalise_platform("Sentinel-2A") == "sentinel-2"
    assert normalise_platform("Sentinel-5P") == "sentinel-5p"
    assert "sentinel-5p" in provider_spec("cdse").platforms


@pytest.fixture
def planet():
    emulator = PlanetEmulator(api_keys={KEY}).start()
    store_credentials("planet", "", KEY)
    yield emulator
    delete_credentials("planet")
    emulator.close()


def test_the_network_configuration_reaches_the_api_client_built_later(planet):
    """Planet's Data API client is built on first use; before the service layer it went out without the
    proxy that the faces set on ``provider.http`` after construction."""
    with ForwardProxy() as proxy:
        network = NetworkConfig(proxies={"http": proxy.url, "https": proxy.url})
        provider = build_provider("planet", {"url": planet.api_url, "page_size": "5"}, network)
        scenes = list(provider.search(Query.build(max_results=7)))
    assert len(scenes) == 7
    api_calls = [url for _, url, _ in proxy.seen if url.startswith(planet.api_url)]
    assert api_calls and len(api_calls) == len(proxy.seen)
    assert any(method == "POST" for method, _, _ in proxy.seen)  # the quick search itself


class _FaultyProvider(Provider):
    """A throw-away provider whose constructor has a bug (a TypeError of its own, no option given)."""

    name = "faulty-constructor-test"

    def __init__(self) -> None:
        super().__init__(http=None)
        len(None)  # type: ignore[arg-type]  # the bug: TypeError raised inside the constructor

    def search(self, query):  # never reached: the constructor fails
        raise NotImplementedError

    def get(self, scene_id):  # never reached: the constructor fails
        raise NotImplementedError


def test_a_providers_own_type_error_is_not_blamed_on_options():
    registry.register(_FaultyProvider)
    try:
        with pytest.raises(TypeError, match="NoneType"):
            build_provider(_FaultyProvider.name)
        with pytest.raises(UsageError, match=f"Provider {_FaultyProvider.name} takes no auth option"):
            build_provider(_FaultyProvider.name, {"auth": object()})
    finally:
        registry.unregister(_FaultyProvider.name)
