"""The schema is written once, in tables.py: each ORM class is mapped onto its table and types
the table's columns, no more and no fewer."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import JSON, BigInteger, Boolean, Date, Integer, LargeBinary, String, Table, Text
from sqlalchemy import inspect as inspect_mapping

from paybot.store import models, tables
from paybot.store.base import Base
from paybot.store.types import Money, Rate, UtcDateTime

# The Python type a column of each SQL type holds, as a class in models.py names it.
PYTHON_TYPE = {
    Integer: "int",
    BigInteger: "int",
    String: "str",
    Text: "str",
    LargeBinary: "bytes",
    Boolean: "bool",
    Date: "date",
    UtcDateTime: "datetime",
    Money: "Decimal",
    Rate: "Decimal",
}


def _classes() -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """Each class of models.py: the table it names (`__table__ = tables.X`) and the columns its
    TYPE_CHECKING block types, in order (name, annotation)."""
    found = {}
    for node in ast.parse(inspect.getsource(models)).body:
        if not isinstance(node, ast.ClassDef):
            continue
        table, columns = "", []
        for statement in node.body:
            if isinstance(statement, ast.AnnAssign) and statement.value is not None:
                assert ast.unparse(statement.target) == "__table__"
                table = ast.unparse(statement.value).removeprefix("tables.")
            if isinstance(statement, ast.If) and ast.unparse(statement.test) == "TYPE_CHECKING":
                for typed in statement.body:
                    assert isinstance(typed, ast.AnnAssign) and typed.value is None
                    annotation = ast.unparse(typed.annotation)
                    assert annotation.startswith("Mapped[") and annotation.endswith("]")
                    columns.append((ast.unparse(typed.target), annotation[7:-1]))
        found[node.name] = (table, columns)
    return found


CLASSES = _classes()


def test_every_table_has_one_class_mapped_onto_it() -> None:
    named = sorted(table for table, _ in CLASSES.values())
    assert named == sorted(tables.metadata.tables)
    for name, (table, _) in CLASSES.items():
        assert getattr(models, name).__table__ is tables.metadata.tables[table]


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_a_class_types_its_tables_columns_as_they_are(name: str) -> None:
    table_name, typed = CLASSES[name]
    table: Table = tables.metadata.tables[table_name]
    assert [column for column, _ in typed] == list(table.c.keys())
    for column_name, annotation in typed:
        column = table.c[column_name]
        optional = annotation.endswith(" | None")
        assert optional == column.nullable, f"{name}.{column_name}: {annotation}"
        python = annotation.removesuffix(" | None")
        if isinstance(column.type, JSON):
            assert python.startswith(("dict[", "list[")), f"{name}.{column_name}: {annotation}"
        else:
            assert python == PYTHON_TYPE[type(column.type)], f"{name}.{column_name}: {annotation}"


def test_the_mapped_attributes_are_the_tables_columns() -> None:
    for name, (table_name, _) in CLASSES.items():
        mapper: Any = inspect_mapping(getattr(models, name))
        table = tables.metadata.tables[table_name]
        assert [c.key for c in mapper.column_attrs] == list(table.c.keys())
        assert [c.name for c in mapper.primary_key] == [c.name for c in table.primary_key]


def test_the_declarative_base_and_alembic_share_the_tables_metadata() -> None:
    assert Base.metadata is tables.metadata
    assert models.MIGRATION_ONLY_INDEXES is tables.MIGRATION_ONLY_INDEXES


def test_the_tables_load_no_orm_and_no_sql_dialect() -> None:
    """Core reads (store/companies.py, store/payment_search.py) import the tables alone."""
    probe = (
        "import sys\nimport paybot.store.tables, paybot.store.companies\n"
        "import paybot.store.payment_search\n"
        "print(sorted(m for m in sys.modules if m.startswith(('sqlalchemy.dialects.', "
        "'sqlalchemy.orm', 'paybot.store.models', 'paybot.store.base'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.splitlines()[-1] == "[]"
