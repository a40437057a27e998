"""The API tests' small world (tests.factories.build_api_world), for the dataset tests."""

from tests.api import conftest as api

_api_settings, module_world, world = api._api_settings, api.module_world, api.world
