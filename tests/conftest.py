"""Plugins shared by every test tier."""

pytest_plugins = ["tests.fixtures.postgres", "tests.fixtures.stores", "tests.fixtures.kafka",
                  "tests.fixtures.receivers"]
