"""config_query: answers memoized per loaded Config, out of pydantic's sight."""

from __future__ import annotations

import copy
import multiprocessing
import pickle

import pytest

from generator.config import config_query, load_config

from .conftest import EXAMPLE

CALLS: list[tuple] = []


@config_query
def _question(config, *args):
    CALLS.append(args)
    return [config.region, *args]


@pytest.fixture
def config():
    CALLS.clear()
    return load_config(EXAMPLE)


def test_each_answer_is_computed_once_per_config_and_arguments(config):
    first = _question(config, "a")
    assert _question(config, "a") is first
    assert _question(config, "b") == [config.region, "b"]
    assert _question(config) == [config.region]
    assert CALLS == [("a",), ("b",), ()]
    other = load_config(EXAMPLE)
    assert _question(other, "a") == first and _question(other, "a") is not first  # per Config object


def test_the_store_is_invisible_to_pydantic(config):
    _question(config, "a")
    fresh = load_config(EXAMPLE)
    assert config == fresh and fresh == config
    assert config.model_dump() == fresh.model_dump()
    assert config.model_dump_json() == fresh.model_dump_json()


@pytest.mark.parametrize("clone", [lambda c: c.model_copy(), copy.copy, copy.deepcopy,
                                   lambda c: pickle.loads(pickle.dumps(c))])
def test_a_copy_starts_with_an_empty_store(config, clone):
    _question(config, "a")
    copied = clone(config)
    assert copied == config
    _question(copied, "a")
    assert CALLS == [("a",), ("a",)]


def _in_child(config, conn) -> None:
    _question(config, "a")
    conn.send(len(CALLS))


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_a_forked_worker_keeps_the_answers_asked_before(config):
    _question(config, "a")
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe()
    process = context.Process(target=_in_child, args=(config, child))
    process.start()
    assert parent.recv() == 1  # answered from the store it was forked with
    process.join()


def test_the_resolved_views_answer_as_before(config):
    for group, spec in config.model_groups.items():
        for party in ("developers", "deployers", "consumers", "approvers"):
            listed = getattr(spec, party)
            kind = {"developers": "development", "deployers": "deployment", "consumers": "workload",
                    "approvers": "governance"}[party]
            expected = sorted(listed) if listed is not None else config.accounts_of_kind(kind)
            assert config.party_accounts(group, party) == expected
            for account in expected:
                assert (group, party) in config.groups_of(account)
    assert all(config.groups_of(a) == sorted(config.groups_of(a)) for a in config.accounts)
