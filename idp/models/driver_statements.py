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
        # A generated key (an autoincrement id) is the database's to give.
        columns = [column for column in table.columns if column is not table.autoincrement_column]
        names = [column.key for column in columns]
        self.sql = (f"INSERT INTO {table.name} ({', '.join(names)}) "
                    f"VALUES ({', '.join(mark.format(name) for name in names)})")
        self._processors = [
            (column.key, column.type.dialect_impl(dialect).bind_processor(dialect))
            for column in columns
        ]

    def execute(self, cursor, columns):
        cursor.execute(self.sql, self.values(columns))

    def values(self, columns):
        """The driver's values of a row given as {column: Python value}."""
        return {name: process(columns[name]) if process else columns[name]
                for name, process in self._processors}


class DriverLookup:
    """SELECT of some columns by one or more key columns, from the keys' table or a join
    given as `source`; each value read back through its column's own result processing."""

    def __init__(self, columns, key, dialect, source=None):
        """columns: {name in the result: Column}; key: the Column compared, or a tuple of
        Columns of one table."""
        keys = key if isinstance(key, tuple) else (key,)
        mark = PLACEHOLDERS[dialect.name]
        selected = ", ".join(f"{column.table.name}.{column.name}" for column in columns.values())
        matched = " AND ".join(f"{column.table.name}.{column.name} = {mark.format(f'key{i}')}"
                               for i, column in enumerate(keys))
        self.sql = f"SELECT {selected} FROM {source or keys[0].table.name} WHERE {matched}"
        self._processors = [
            (name, column.type.dialect_impl(dialect).result_processor(dialect, None))
            for name, column in columns.items()
        ]

    def one(self, cursor, *keys):
        """The row whose keys are `keys` as {name: value}, or None."""
        cursor.execute(self.sql, {f"key{i}": key for i, key in enumerate(keys)})
        row = cursor.fetchone()
        if row is None:
            return None
        return {name: process(value) if process else value
                for (name, process), value in zip(self._processors, row, strict=True)}


class DriverClaim:
    """UPDATE setting some columns of the row whose key is given, only while its `guard`
    column is NULL (claiming a code, rotating a token): True when this call claimed it."""

    def __init__(self, table, key, guard, columns, dialect):
        mark = PLACEHOLDERS[dialect.name]
        assigned = ", ".join(f"{name} = {mark.format(name)}" for name in columns)
        self.sql = (f"UPDATE {table.name} SET {assigned} WHERE {key.name} = "
                    f"{mark.format('key')} AND {guard.name} IS NULL")
        self._processors = [
            (name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in columns
        ]

    def claim(self, cursor, key, values):
        parameters = {name: process(values[name]) if process else values[name]
                      for name, process in self._processors}
        cursor.execute(self.sql, {**parameters, "key": key})
        return cursor.rowcount == 1
