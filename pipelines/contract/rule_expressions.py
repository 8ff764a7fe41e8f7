"""The contracts' row rules (`check:` in schemas/<kind>/contract.yaml) as polars expressions.

A rule is written in the small expression language pandas' `DataFrame.eval` reads: column names,
literals, `@name` for a value of the period, comparisons, `+ - * /`, `&`, `|`, `~` and
`column.isin([...])`. Anything else is refused when the contract is loaded, not when a file
arrives.
"""

from __future__ import annotations

import ast
import operator
import re
from typing import Any

import polars as pl

_CONTEXT_PREFIX = "__period__"
_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_ARITHMETIC = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
}


class RuleSyntaxError(ValueError):
    pass


def rule_expression(source: str, context: dict[str, Any]) -> pl.Expr:
    """`source` as a polars expression; `@name` takes `context[name]`."""
    python = re.sub(r"@(\w+)", rf"{_CONTEXT_PREFIX}\1", source)
    try:
        tree = ast.parse(python, mode="eval")
    except SyntaxError as error:
        raise RuleSyntaxError(f"rule {source!r} is not an expression: {error.msg}") from error
    return _build(tree.body, context, source)


def _build(node: ast.AST, context: dict[str, Any], source: str) -> pl.Expr:
    def build(child: ast.AST) -> pl.Expr:
        return _build(child, context, source)

    if isinstance(node, ast.Name):
        if node.id.startswith(_CONTEXT_PREFIX):
            name = node.id.removeprefix(_CONTEXT_PREFIX)
            if name not in context:
                raise RuleSyntaxError(f"rule {source!r} uses @{name}, which the period does not give")
            return pl.lit(context[name])
        return pl.col(node.id)
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float | bool):
        return pl.lit(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        return _ARITHMETIC[type(node.op)](build(node.left), build(node.right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Invert | ast.Not):
        return ~build(node.operand)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -build(node.operand)
    if isinstance(node, ast.BoolOp):
        combine = operator.and_ if isinstance(node.op, ast.And) else operator.or_
        result = build(node.values[0])
        for value in node.values[1:]:
            result = combine(result, build(value))
        return result
    if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        left, result = node.left, None
        for op, right in zip(node.ops, node.comparators, strict=True):
            part = _COMPARE[type(op)](build(left), build(right))
            result = part if result is None else result & part
            left = right
        return result
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "isin"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.List | ast.Tuple)
        and all(isinstance(item, ast.Constant) for item in node.args[0].elts)
    ):
        return build(node.func.value).is_in([item.value for item in node.args[0].elts])
    raise RuleSyntaxError(f"rule {source!r}: {ast.unparse(node)!r} is not part of the rule language")
