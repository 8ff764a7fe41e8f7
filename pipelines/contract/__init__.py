"""The contracts of schemas/ as Python: columns, codes and rules, their messages in four languages,
the row rules as polars expressions, the issues they find, the templates institutions fill in."""
