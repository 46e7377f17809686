"""Statements run on the bare DB-API connection, for the few requests whose cost is mostly
the database library's own work (the token endpoint's success path). The SQL text is
written once per dialect and each value goes through its column's own bind processing, so
a row written here reads back through the models exactly like one the ORM wrote.

Only the two backends the provider supports are known: SQLite (`:name`) and PostgreSQL
through psycopg (`%(name)s`); both drivers take a dict of named values."""

PLACEHOLDERS = {"sqlite": ":{}", "postgresql": "%({})s"}


class DriverInsert:
    """INSERT of every column of a table, values given by column name."""

    def __init__(self, table, dialect):
        mark = PLACEHOLDERS[dialect.name]
        names = [column.key for column in table.columns]
        self.sql = (f"INSERT INTO {table.name} ({', '.join(names)}) "
                    f"VALUES ({', '.join(mark.format(name) for name in names)})")
        self._processors = [
            (column.key, column.type.dialect_impl(dialect).bind_processor(dialect))
            for column in table.columns
        ]

    def values(self, columns):
        """The driver's values of a row given as {column: Python value}."""
        return {name: process(columns[name]) if process else columns[name]
                for name, process in self._processors}


class DriverLookup:
    """SELECT of one column by one key column; the key must be plain text or a number."""

    def __init__(self, table, column, key, dialect):
        mark = PLACEHOLDERS[dialect.name].format("key")
        self.sql = f"SELECT {column} FROM {table.name} WHERE {key} = {mark}"

    def one(self, cursor, key):
        cursor.execute(self.sql, {"key": key})
        row = cursor.fetchone()
        return None if row is None else row[0]
