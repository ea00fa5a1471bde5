"""The PostgreSQL fixtures hand each test a real, empty database of its own."""

import psycopg
from psycopg.conninfo import conninfo_to_dict

from tests.fixtures.postgres import fresh_database


def database_name(url: str) -> str:
    return conninfo_to_dict(url)["dbname"]


def test_a_fresh_database_stores_and_returns_rows(postgres_url):
    with psycopg.connect(postgres_url) as conn:
        conn.execute("CREATE TABLE complaint (id serial PRIMARY KEY, summary text NOT NULL)")
        conn.execute("INSERT INTO complaint (summary) VALUES (%s)", ("出口退税迟迟未到账",))
        rows = conn.execute("SELECT id, summary FROM complaint").fetchall()

    assert rows == [(1, "出口退税迟迟未到账")]


def test_each_database_is_new_and_separate(make_postgres_database):
    first_url, second_url = make_postgres_database(), make_postgres_database()
    with psycopg.connect(first_url) as conn:
        conn.execute("CREATE TABLE only_in_first (n int)")

    with psycopg.connect(second_url) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()

    assert database_name(first_url) != database_name(second_url)
    assert tables == []


def test_a_database_is_dropped_even_with_a_connection_left_open(postgres_admin_url):
    with fresh_database(postgres_admin_url) as url:
        leaked = psycopg.connect(url)

    try:
        with psycopg.connect(postgres_admin_url) as admin:
            found = admin.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (database_name(url),)
            ).fetchall()
    finally:
        leaked.close()

    assert found == []
