"""The search equation: its language, its compiled matcher, and many equations matched at once.

>>> query = compile_query('Quorum OR "Digital Box"')
>>> match = query.match(DocumentWords.from_text("Digital\\nBox et quorum"))
>>> [term.text for term in match.terms]
['Quorum', '"Digital Box"']
"""

from __future__ import annotations

from watch.query.compiler import Match, Query, compile_query
from watch.query.document import DocumentWords
from watch.query.errors import QuerySyntaxError
from watch.query.presearch import QuerySet
from watch.query.terms import Term

__all__ = ["DocumentWords", "Match", "Query", "QuerySet", "QuerySyntaxError", "Term", "compile_query"]
