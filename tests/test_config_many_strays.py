"""Many unknown top-level keys: past the first ones the loader reads past
their values without building nodes (loader.STRAYS_COMPOSED, issue 30: 200,000
of them took 11 s). Reading past must not let anything through that composing
would have caught, and must report exactly what composing reports."""

from __future__ import annotations

import pytest

from generator import config as config_module
from generator.config import config_from_text, loader
from generator.errors import ConfigError

from .conftest import EXAMPLE

GOOD = EXAMPLE.read_text()


def errors_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as error:
        config_from_text(text)
    return [e.format("accounts.yaml") for e in getattr(error.value, "errors", [error.value])]


@pytest.fixture
def few(monkeypatch):
    """Read past from the fourth unknown top-level key on (the mechanism is
    the same at 1,000; the test stays small)."""
    monkeypatch.setattr(loader, "STRAYS_COMPOSED", 3)


# --- what reading past must still refuse, with the message composing gives ---

def refused_as_when_composed(text: str, monkeypatch) -> list[str]:
    read_past = errors_of(text)
    monkeypatch.setattr(loader, "STRAYS_COMPOSED", 10**9)
    assert read_past == errors_of(text)
    return read_past


PAST = "".join(f"zz{i}: 1\n" for i in range(5))  # zz3 and zz4 are read past


@pytest.mark.parametrize("value, message", [
    ("!!python/object:os.system ls", "zz9: the YAML tag !!python/object:os.system is not allowed"),
    ("!!binary ZGV2", "zz9: the YAML tag !!binary is not allowed"),
    ("2026-12-07", "zz9: YAML reads 2026-12-07 as a timestamp; quote it"),
    ("[2026-12-07]", "zz9[0]: YAML reads 2026-12-07 as a timestamp; quote it"),
    ("{yes: 1}", "zz9.yes: YAML reads the key yes as the boolean true; quote it"),
    ("{a: 1, a: 2}", "zz9.a: duplicate key (first defined on line"),
])
def test_a_bad_value_of_an_unknown_key_is_refused_as_when_composed(few, monkeypatch, value, message):
    lines = refused_as_when_composed(GOOD + PAST + f"zz9: {value}\n", monkeypatch)
    assert len(lines) == 1 and message in lines[0], lines


def test_a_duplicate_unknown_key_read_past_is_still_a_duplicate(few, monkeypatch):
    lines = refused_as_when_composed(GOOD + PAST + "zz4: 2\n", monkeypatch)
    assert len(lines) == 1 and "zz4: duplicate key (first defined on line" in lines[0], lines


def test_an_anchor_on_an_unknown_key_stays_usable(few, monkeypatch):
    """A value with an anchor is composed, so a later alias finds it (the
    config is still refused for the unknown keys, not for the alias)."""
    text = PAST + "zz7: &bucket acme-ml-model-artifacts\n" + GOOD.replace(
        "artifact_bucket: acme-ml-model-artifacts", "artifact_bucket: *bucket", 1)
    assert "artifact_bucket: *bucket" in text
    lines = refused_as_when_composed(text, monkeypatch)
    assert all("unknown key" in line for line in lines) and len(lines) == 6, lines


def test_values_read_past_count_against_the_node_limit(few, monkeypatch):
    monkeypatch.setattr(loader, "MAX_NODES", 1000)
    text = "".join(f"zz{i}: 1\n" for i in range(600))
    lines = refused_as_when_composed(text, monkeypatch)
    assert len(lines) == 1 and "the config has more than 1,000 YAML nodes" in lines[0], lines


# --- what it reports: the same lines as composing every value ---

MISTAKES = (
    ('id: "444444444444"', 'id: "44444444444"'),              # a field error
    ("consumers: [test, prod]", "consumers: [test, prd]"),    # a reference error
)


def with_strays(n: int) -> str:
    text = GOOD
    for old, new in MISTAKES:
        assert old in text, old
        text = text.replace(old, new, 1)
    # Values of every shape, and keys no allowed key is close to (so "did you
    # mean" is not asked of the composed ones either).
    values = ["1", "[a, b]", "{x: {y: [1, 2]}}", "'quoted'", "null", "'2026-12-07'"]
    return text + "".join(f"qq{i:05d}: {values[i % len(values)]}\n" for i in range(n))


def test_reading_past_reports_exactly_what_composing_reports(monkeypatch):
    monkeypatch.setattr(config_module, "_SUGGEST_MAX", 3)
    monkeypatch.setattr(loader, "STRAYS_COMPOSED", 10**9)
    composed = errors_of(with_strays(40))
    monkeypatch.setattr(loader, "STRAYS_COMPOSED", 3)
    read_past = errors_of(with_strays(40))
    assert read_past == composed
    assert len(read_past) == 42  # 40 unknown keys, the bad id, the undeclared consumer
    assert any("accounts.test.id: must be exactly 12 digits" in line for line in read_past)
    assert any("'prd' is not declared under accounts" in line for line in read_past)
    assert read_past[-1].startswith(f"accounts.yaml:{len(with_strays(40).splitlines())}: qq00039: unknown key (allowed here: ")


def test_many_unknown_keys_at_the_real_threshold_are_each_reported_with_their_line():
    n = loader.STRAYS_COMPOSED + 500
    text = with_strays(n)
    lines = errors_of(text)
    first = len(GOOD.splitlines()) + 1
    strays = [line for line in lines if ": qq" in line]
    assert len(strays) == n
    assert strays[0].startswith(f"accounts.yaml:{first}: qq00000: unknown key")
    assert strays[-1].startswith(f"accounts.yaml:{first + n - 1}: qq{n - 1:05d}: unknown key")


def test_past_the_threshold_only_plain_scalar_values_are_read_past(few):
    from generator.config.loader import parse_yaml

    text = PAST + "zz5: [1]\nzz6: &a 1\nzz7: two\nregion: us-east-1\n"
    loaded = parse_yaml(text, frozenset({"region"}))
    assert loaded.strays == [("zz3", 4), ("zz4", 5), ("zz7", 8)]
    assert sorted(loaded.data) == ["region", "zz0", "zz1", "zz2", "zz5", "zz6"]
    assert parse_yaml(text).strays == []  # without the allowed keys, everything is composed
