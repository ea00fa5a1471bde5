-- The notify service keeps its own event store, in a database of its own.
CREATE DATABASE notify OWNER huiyin;
