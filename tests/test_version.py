import importlib.metadata

from threadloom_server import VERSION


def test_server_reports_the_installed_distribution_version() -> None:
    assert importlib.metadata.version("threadloom-server") == VERSION
