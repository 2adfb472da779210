"""The SQLite store: peewee models, migrations and the queries the desk needs."""
