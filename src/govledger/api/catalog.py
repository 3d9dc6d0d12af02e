"""The `/v1/apps` catalogue: each installed app, its operations (body fields, JSON schema) and queries.

Built once from the apps' msgspec types with `msgspec.inspect` and `msgspec.json.schema`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
import msgspec.inspect as mi

from govledger.api.models import AppInfo, FieldInfo, OperationInfo, QueryInfo
from govledger.ledger.app import App


def type_label(t: mi.Type) -> str:
    """A short human name for a field type: `bytes (base64)`, `list[PublicKey]`, `SignedBy | HasRole`."""
    if isinstance(t, mi.StrType):
        return "str"
    if isinstance(t, mi.BoolType):
        return "bool"
    if isinstance(t, mi.IntType):
        return "int"
    if isinstance(t, mi.BytesType):
        return "bytes (base64)"
    if isinstance(t, mi.NoneType):
        return "null"
    if isinstance(t, mi.AnyType):
        return "any"
    if isinstance(t, mi.StructType):
        return t.cls.__name__
    if isinstance(t, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
        return f"list[{type_label(t.item_type)}]"
    if isinstance(t, mi.DictType):
        return f"dict[{type_label(t.key_type)}, {type_label(t.value_type)}]"
    if isinstance(t, mi.UnionType):
        return " | ".join(type_label(u) for u in t.types)
    if isinstance(t, mi.EnumType):
        return t.cls.__name__
    return type(t).__name__.removesuffix("Type").lower()


def struct_fields(type_: type[Any]) -> list[FieldInfo]:
    info = mi.type_info(type_)
    if not isinstance(info, mi.StructType):
        return []
    out = []
    for f in info.fields:
        default = None if f.default is msgspec.NODEFAULT else msgspec.to_builtins(f.default)
        out.append(
            FieldInfo(name=f.encode_name, type=type_label(f.type), required=f.required, default=default)
        )
    return out


def _schema(type_: type[Any]) -> dict[str, Any]:
    try:
        return msgspec.json.schema(type_)
    except (TypeError, ValueError):  # a type msgspec cannot describe: the field list still stands
        return {}


def describe_apps(apps: Mapping[str, App]) -> list[AppInfo]:
    out = []
    for name in sorted(apps):
        app = apps[name]
        ops = [
            OperationInfo(
                name=op_name,
                doc=op.doc,
                body=getattr(op.body, "__name__", str(op.body)),
                fields=struct_fields(op.body),
                schema=_schema(op.body),
            )
            for op_name, op in sorted(app.operations.items())
        ]
        queries = [
            QueryInfo(
                name=q_name,
                doc=q.doc,
                params=getattr(q.params, "__name__", str(q.params)),
                fields=struct_fields(q.params),
            )
            for q_name, q in sorted(app.queries.items())
        ]
        out.append(AppInfo(name=name, doc=app.doc, operations=ops, queries=queries))
    return out
