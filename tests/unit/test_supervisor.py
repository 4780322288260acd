"""``helpline up``'s process groups and the merge of the children's metrics."""

from __future__ import annotations

import pytest

from helpline.adapters.supervisor import DEFAULT_GROUPS, merge_metrics, parse_groups
from helpline.catalog import SERVICES

pytestmark = pytest.mark.unit


def test_groups_from_the_setting() -> None:
    assert parse_groups("ms-conv-store;ms-rag, ms-gateway") == (
        ("ms-conv-store",), ("ms-rag", "ms-gateway"))
    assert parse_groups("") == ()
    with pytest.raises(ValueError, match="twice"):
        parse_groups("ms-rag;ms-rag,ms-gateway")


@pytest.mark.parametrize("cpus", [1, 2, 3, 4, 16])
def test_default_groups_use_as_many_processes_as_cores_up_to_four(cpus: int) -> None:
    groups = parse_groups(None, cpus)
    assert len(groups) + 1 == min(cpus, 4)  # the main process counts
    in_children = [s for g in groups for s in g]
    assert len(in_children) == len(set(in_children)) and set(in_children) <= set(SERVICES)
    assert "ms-agents" not in in_children  # its API writes beside its consumers
    assert groups == DEFAULT_GROUPS[min(cpus, 4)]


def test_metrics_of_the_processes_add_up() -> None:
    parent = 'helpline_published_total 3\nhelpline_processed_total{service="a",message="m"} 2\n'
    child = 'helpline_published_total 4\nhelpline_processed_total{service="b",message="m"} 5\n'
    assert merge_metrics([parent, child]) == (
        'helpline_processed_total{service="a",message="m"} 2\n'
        'helpline_processed_total{service="b",message="m"} 5\n'
        "helpline_published_total 7\n")
