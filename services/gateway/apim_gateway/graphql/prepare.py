"""One query parsed, validated against its API's schema and analysed: the work that needs
graphql-core, run on the analyser's worker thread (``queries.py``)."""

from __future__ import annotations

import logging

from graphql import GraphQLError, parse, specified_rules, validate

from apim_gateway.graphql.analysis import analyse, operation_of
from apim_gateway.graphql.merging import TooDearToMerge, check_merging_cost
from apim_gateway.graphql.model import Analysis, QueryRefused, invalid
from apim_gateway.graphql.schema import CompiledSchema

logger = logging.getLogger(__name__)


def prepare(
    compiled: CompiledSchema, query: str, operation_name: str | None, max_tokens: int
) -> Analysis | QueryRefused:
    """Parse, validate and analyse one query (on the worker thread); a refusal is returned."""
    try:
        document = parse(query, max_tokens=max_tokens, allow_empty_selection_sets=False)
        # Every rule of the specification, OverlappingFieldsCanBeMergedRule too, once the count
        # of its comparisons says it costs a few ms at most (``merging.py``).
        check_merging_cost(document)
        errors = validate(
            compiled.schema, document, specified_rules, max_errors=10, allow_empty_selection_sets=False
        )
        if errors:
            return invalid("; ".join(error.message for error in errors))
        operation = operation_of(document, operation_name)
        if operation is None:
            wanted = f"no operation named '{operation_name}'" if operation_name else "no operation"
            return invalid(f"The document has {wanted}, or several and no operationName")
        return analyse(compiled, document, operation)
    except TooDearToMerge as exc:
        return invalid(str(exc))
    except GraphQLError as exc:
        return invalid(exc.message)
    except RecursionError:
        return invalid("The document is nested too deeply")
    except Exception:  # a flaw of the analysis must not fail the request with a 500
        logger.exception("a GraphQL query could not be analysed")
        return invalid("The query could not be analysed")
