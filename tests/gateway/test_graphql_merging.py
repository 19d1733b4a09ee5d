"""The count of field-merging comparisons that gates graphql-core's overlapping-fields rule
(``graphql/merging.py``): same-named fields counted together through fragments and across their
parents, and the walk itself bounded."""

from __future__ import annotations

import pytest
from graphql import parse

from apim_gateway.graphql import compile_schema
from apim_gateway.graphql.merging import MAX_MERGED_PAIRS, TooDearToMerge, check_merging_cost
from apim_gateway.graphql.model import Analysis, QueryRefused
from apim_gateway.graphql.prepare import prepare
from tests.support.graphql_backend import SCHEMA

COMPILED = compile_schema({"graphQLSchema": SCHEMA})


def test_fields_that_cannot_merge_are_refused_by_the_library_rule() -> None:
    refused = prepare(COMPILED, "{ film(id: 1) { name: title name: director } }", None, 2000)
    assert isinstance(refused, QueryRefused)
    assert refused.code == "900422"
    assert "'name' conflict because 'title' and 'director' are different fields" in refused.description


def test_children_of_same_named_fields_are_counted_together() -> None:
    # 45 pairs of allFilms, 10 x 5 = 50 planets merged into one path (1,225 pairs), 1,225 of id:
    # 2,495 in all, though no selection set holds more than 10 fields of one name.
    query = "{ " + " ".join("allFilms { " + "planets { id } " * 5 + "}" for _ in range(10)) + " }"
    with pytest.raises(TooDearToMerge, match=f"more than {MAX_MERGED_PAIRS} comparisons"):
        check_merging_cost(parse(query))
    refused = prepare(COMPILED, query, None, 2000)
    assert isinstance(refused, QueryRefused)
    assert refused.code == "900422"


def test_fragments_are_expanded_where_they_are_spread() -> None:
    spread = "{ allFilms { ...A ...A ...A } } fragment A on Film { " + "planets { id } " * 20 + "}"
    with pytest.raises(TooDearToMerge):
        check_merging_cost(parse(spread))
    once = "{ allFilms { ...A } } fragment A on Film { " + "planets { id } " * 20 + "}"
    check_merging_cost(parse(once))  # 190 + 190 pairs in the fragment, as many where it is spread


def test_fragments_spread_twice_per_level_stop_at_the_selection_bound() -> None:
    levels = 20  # 2^20 selections if walked out
    fragments = " ".join(f"fragment F{i} on Film {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    document = parse(f"{{ allFilms {{ ...F0 }} }} {fragments} fragment F{levels} on Film {{ id }}")
    with pytest.raises(TooDearToMerge, match="with its fragments expanded"):
        check_merging_cost(document)


def test_a_fragment_cycle_is_left_to_validation() -> None:
    document = "{ allFilms { ...A } } fragment A on Film { id ...B } fragment B on Film { title ...A }"
    check_merging_cost(parse(document))
    refused = prepare(COMPILED, document, None, 2000)
    assert isinstance(refused, QueryRefused)
    assert "Cannot spread fragment 'A' within itself" in refused.description


def test_a_query_with_a_few_repeated_names_is_analysed() -> None:
    query = (
        "{ film(id: 1) { id ...A ...B } } fragment A on Film { id title } fragment B on Film { id director }"
    )
    assert isinstance(prepare(COMPILED, query, None, 2000), Analysis)
