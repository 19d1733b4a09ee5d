"""What field merging would cost, counted before graphql-core's ``OverlappingFieldsCanBeMergedRule``
runs, so a document whose comparisons would take the worker seconds is refused first (400 900422).

The rule compares, in each selection set, every pair of fields answering under one response name,
and the sub-selections of each such pair again, so its work grows with the square of the fields
that merge into one response path. This module counts those pairs: fragments (named and inline)
are expanded into the selection set they are spread in, and the sub-selections of same-named
fields are counted together, as the rule merges them. Two bounds, both checked while counting so
the count itself stays cheap:

- ``MAX_MERGED_PAIRS`` pairs of same-named fields over the whole document;
- ``MAX_EXPANDED_SELECTIONS`` selections visited with every fragment spread expanded (Apollo
  Router's ``max_recursive_selections`` bounds the same walk), which also stops fragments that
  spread each other twice per level from growing the walk exponentially.

A spread of a fragment already being expanded (a cycle) or of an unknown fragment is skipped:
validation refuses both. The count only decides whether the rule runs; the rule decides whether
the fields merge (docs/decisions/0023-graphql-query-analysis.md).
"""

from __future__ import annotations

from collections.abc import Mapping

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

# graphql-core 3.3 spends about 2-3 us of CPU per pair on fields with arguments and
# sub-selections (benchmarks/bench_graphql.py): 2,000 pairs are a few ms of the worker's time.
# A query a person writes repeats a response name a handful of times (fragments sharing ``id``).
MAX_MERGED_PAIRS = 2_000
MAX_EXPANDED_SELECTIONS = 10_000


class TooDearToMerge(Exception):
    """The document is past one of the bounds; the message says which."""


class _Counter:
    def __init__(self, fragments: Mapping[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.pairs = 0
        self.selections = 0
        self.expanding: set[str] = set()

    def level(self, selection_sets: list[SelectionSetNode]) -> None:
        """One merged selection set: the fields of ``selection_sets`` by response name."""
        fields: dict[str, int] = {}
        children: dict[str, list[SelectionSetNode]] = {}
        for selection_set in selection_sets:
            self._collect(selection_set, fields, children)
        for count in fields.values():
            self.pairs += count * (count - 1) // 2
        if self.pairs > MAX_MERGED_PAIRS:
            raise TooDearToMerge(
                "Fields answering under one response name are repeated so often that checking"
                f" whether they merge would take more than {MAX_MERGED_PAIRS} comparisons"
            )
        for nested in children.values():
            self.level(nested)

    def _collect(
        self, node: SelectionSetNode, fields: dict[str, int], children: dict[str, list[SelectionSetNode]]
    ) -> None:
        for selection in node.selections:
            self.selections += 1
            if self.selections > MAX_EXPANDED_SELECTIONS:
                raise TooDearToMerge(
                    f"The query selects more than {MAX_EXPANDED_SELECTIONS} fields"
                    " with its fragments expanded"
                )
            if isinstance(selection, FieldNode):
                name = (selection.alias or selection.name).value
                fields[name] = fields.get(name, 0) + 1
                if selection.selection_set is not None:
                    children.setdefault(name, []).append(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                self._collect(selection.selection_set, fields, children)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                definition = self.fragments.get(name)
                if definition is None or name in self.expanding:
                    continue
                self.expanding.add(name)
                try:
                    self._collect(definition.selection_set, fields, children)
                finally:
                    self.expanding.discard(name)


def check_merging_cost(document: DocumentNode) -> None:
    """Raises ``TooDearToMerge`` for a document past ``MAX_MERGED_PAIRS`` or
    ``MAX_EXPANDED_SELECTIONS``; each operation and each fragment is counted, as the rule
    checks each."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    counter = _Counter(fragments)
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
            counter.level([definition.selection_set])
