"""What a query asks, as WSO2's gateway measures it: its operation type, the root fields it
selects (the operations elected), its depth and its complexity.

Depth is graphql-java's (``MaxQueryDepthInstrumentation``): a root field is at depth 1, each
nested selection one more; WSO2's documentation example is 7. Complexity is WSO2's
(``FieldComplexityCalculatorImpl``): a field costs ``arguments x (its own value + its children's
cost)``, where its own value is the API's ``graphQLComplexity`` entry for (type, field), else 1,
and ``arguments`` is 1 for a field without arguments, else the sum over its arguments of the value
of ``first``, ``last`` or ``limit`` and 1 for any other. Unlike WSO2, a slicing argument given by a
variable counts the variable's value (WSO2 counts it 0, which let such queries through); one
without an integer value counts 1, a negative one 0. Named and inline fragments are expanded and
aliased fields counted each; a fragment spread many times is walked once (its cost is shared), so
spreads nested in spreads cannot make the walk exponential.
"""

from __future__ import annotations

from collections.abc import Mapping

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    value_from_ast_untyped,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef

from apim_gateway.graphql.model import Analysis, Cost, total
from apim_gateway.graphql.schema import CompiledSchema

SLICING_ARGUMENTS = frozenset(("first", "last", "limit"))
INTROSPECTION_FIELDS = frozenset(("__schema", "__type"))


class _Walker:
    def __init__(self, compiled: CompiledSchema, fragments: Mapping[str, FragmentDefinitionNode]) -> None:
        self.schema = compiled.schema
        self.complexity = compiled.complexity
        self.fragments = fragments
        self.expanded: dict[str, tuple[int, Cost]] = {}
        self.variable_costs = False

    def selections(self, node: SelectionSetNode, parent: GraphQLNamedType | None) -> tuple[int, list[Cost]]:
        depth = 0
        costs: list[Cost] = []
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                found, cost = self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                found, children = self.selections(selection.selection_set, inner)
                cost = Cost(0, 1, (), False, tuple(children))
            elif isinstance(selection, FragmentSpreadNode):
                found, cost = self.fragment(selection.name.value)
            else:  # pragma: no cover - the parser makes no other selection
                continue
            depth = max(depth, found)
            costs.append(cost)
        return depth, costs

    def fragment(self, name: str) -> tuple[int, Cost]:
        known = self.expanded.get(name)
        if known is None:
            definition = self.fragments[name]
            inner = self.schema.get_type(definition.type_condition.name.value)
            depth, children = self.selections(definition.selection_set, inner)
            known = self.expanded[name] = (depth, Cost(0, 1, (), False, tuple(children)))
        return known

    def field(self, node: FieldNode, parent: GraphQLNamedType | None) -> tuple[int, Cost]:
        name = node.name.value
        child: GraphQLNamedType | None = None
        definition = None
        if name == "__schema":
            definition = SchemaMetaFieldDef
        elif name == "__type":
            definition = TypeMetaFieldDef
        elif isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            definition = parent.fields.get(name)
        if definition is not None:
            child = get_named_type(definition.type)
        depth = 1
        children: tuple[Cost, ...] = ()
        if node.selection_set is not None:
            found, nested = self.selections(node.selection_set, child)
            depth, children = found + 1, tuple(nested)
        own = self.complexity.get((parent.name, name), 1) if parent is not None else 1
        fixed = 0
        variables: list[str] = []
        for argument in node.arguments or ():
            value = argument.value
            if argument.name.value not in SLICING_ARGUMENTS:
                fixed += 1
            elif isinstance(value, IntValueNode):
                fixed += max(int(value.value), 0)
            elif isinstance(value, VariableNode):
                variables.append(value.name.value)
                self.variable_costs = True
            else:
                fixed += 1
        return depth, Cost(own, fixed, tuple(variables), bool(node.arguments), children)


def root_fields(
    node: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode], into: dict[str, None]
) -> None:
    """The root fields a selection set selects, through its fragments."""
    for selection in node.selections:
        if isinstance(selection, FieldNode):
            into[selection.name.value] = None
        elif isinstance(selection, InlineFragmentNode):
            root_fields(selection.selection_set, fragments, into)
        elif isinstance(selection, FragmentSpreadNode):
            root_fields(fragments[selection.name.value].selection_set, fragments, into)


def operation_of(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode | None:
    """The operation to run: the named one, or the only one."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        return next((o for o in operations if o.name and o.name.value == operation_name), None)
    return operations[0] if len(operations) == 1 else None


def analyse(compiled: CompiledSchema, document: DocumentNode, operation: OperationDefinitionNode) -> Analysis:
    """``document`` must have passed validation (so its fragments exist and do not cycle)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    root = compiled.schema.get_root_type(operation.operation)
    walker = _Walker(compiled, fragments)
    depth, costs = walker.selections(operation.selection_set, root)
    selected: dict[str, None] = {}
    root_fields(operation.selection_set, fragments, selected)
    defaults = {
        definition.variable.name.value: value_from_ast_untyped(definition.default_value)
        for definition in operation.variable_definitions or ()
        if definition.default_value is not None
    }
    plan = tuple(costs)
    return Analysis(
        operation_type=operation.operation.value.upper(),
        fields=tuple(name for name in selected if not name.startswith("__")),
        depth=depth,
        introspection=not INTROSPECTION_FIELDS.isdisjoint(selected),
        costs=plan,
        complexity=None if walker.variable_costs else total(plan, {}),
        defaults=defaults,
    )
