"""``scrapy equation 'EQUATION'``: check a search equation before crawling with it.

Prints the simplified tree, each term as written and as it will be matched, and warnings
(lower-case operators, NOT-only equations, wide wildcards, terms that normalisation changes,
operator words inside phrases). A malformed equation prints the equation, a caret under the
problem and one line naming it, and exits with status 1.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from watch.query import QuerySyntaxError, compile_query
from watch.query.explain import tree, warnings

if TYPE_CHECKING:
    import argparse


class Command(ScrapyCommand):
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "'EQUATION'"

    def short_desc(self) -> str:
        return "Check a search equation: its tree, its terms as matched, and warnings"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if not args:
            raise UsageError("give the equation to check, in quotes")
        # Unquoted words arrive as several arguments: read them as the shell showed them.
        equation = " ".join(args)
        try:
            query = compile_query(equation)
        except QuerySyntaxError as err:
            print(err.display(), file=sys.stderr)
            self.exitcode = 1
            return
        print(f"Equation: {equation}")
        print("Tree:")
        print("\n".join(f"  {line}" for line in tree(query).splitlines()))
        print("Terms (as written -> as matched):")
        width = max((len(term.text) for term in query.terms), default=0)
        for term in query.terms:
            print(f"  {term.text:<{width}}  ->  {term}  [{term.kind}]")
        found = warnings(query)
        print("Warnings:" if found else "Warnings: none")
        for warning in found:
            print(f"  - {warning}")
