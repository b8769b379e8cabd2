"""Read accounts.yaml strictly and within fixed limits.

PyYAML's ``safe_load`` silently keeps the last of duplicate mapping keys,
accepts tags like ``!!binary`` (a key ``!!binary ZGV2`` is the string
``dev`` after construction, so a check on the raw text misses it), expands
aliases without bound (a 342-byte "billion laughs" takes minutes) and its C
composer recurses once per nesting level (50,000 ``[`` crash the
interpreter). A security tool must refuse all of that, fast and with one line.

So the node tree is composed here, iteratively, from the parser's events,
with every rule checked while the events arrive:

* the file is at most :data:`MAX_BYTES` (checked before reading it);
* at most :data:`MAX_DEPTH` levels of nesting and :data:`MAX_NODES` nodes;
* an alias may not point into the node that contains it, and all aliases
  together may not expand the document beyond :data:`MAX_EXPANDED` nodes;
* only the plain core tags (str, int, float, bool, null, seq, map), explicit
  or resolved; no merge keys (``<<`` silently overrides keys, the very thing
  the duplicate check exists to stop), no timestamps, no ``!!binary``,
  ``!!python/...`` or local ``!tags``;
* mapping keys are plain strings (no ``? [a, b]``, no aliases, no ``yes``
  read as true) and unique, compared as the constructed strings.

The node tree is kept so that a later validation error can name its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)

from generator.errors import ConfigError

# The C parser is about 4x faster on large configs (see benchmarks/); fall
# back to the pure-Python one where libyaml is missing. Only its event
# stream is used: composing is done here, iteratively.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Limits. The benchmark's 500-account, 10,000-group config (one ECR
# repository per group) is 2.2 MB, about 253,000 events and 9 levels deep; these leave room above it
# (tests/test_hostile_config.py checks that) and bound time and memory below it.
MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 1_000_000
MAX_EXPANDED = 1_000_000  # nodes, counting each use of an alias as a copy

# Unknown top-level keys whose values are composed as usual (so the first
# ones get "did you mean", and a misspelled required key can stand in for
# it). Past these, a file is not a typo: a key whose value is one plain
# scalar is kept with its line and the value is read past (tag rules and
# limits checked, no node built, nothing constructed); 200,000 unknown keys
# took 11 s before (issue 30).
STRAYS_COMPOSED = 1000

_CORE = "tag:yaml.org,2002:"
_STR = _CORE + "str"
ALLOWED_TAGS = frozenset(_CORE + name for name in ("str", "int", "float", "bool", "null", "seq", "map"))
_READS_AS = {
    _CORE + "bool": "the boolean {value}",
    _CORE + "int": "the integer {value}",
    _CORE + "float": "the number {value}",
    _CORE + "null": "null",
    _CORE + "timestamp": "a timestamp",
}


@dataclass
class LoadedYaml:
    data: Any
    root: yaml.Node | None
    # Unknown top-level keys past the first STRAYS_COMPOSED: (key, line),
    # their values read past without building nodes (not in data or root).
    strays: list[tuple[str, int]] = field(default_factory=list)
    _index: dict = field(default_factory=dict, repr=False, compare=False)

    def _keys(self, node: yaml.MappingNode) -> dict:
        """{key: (key node, value node)} of a mapping, the first of each key,
        built once per mapping: a line per error stays linear in the file
        (200,000 unknown keys once took minutes, issue 30)."""
        index = self._index.get(id(node))
        if index is None:
            index = {}
            for key_node, value_node in node.value:
                index.setdefault(str(key_node.value), (key_node, value_node))
            self._index[id(node)] = index
        return index

    def line_of(self, path: tuple[str | int, ...]) -> int | None:
        """1-based line of the deepest node on ``path`` that exists."""
        node = self.root
        line = node.start_mark.line + 1 if node is not None else None
        for part in path:
            if isinstance(node, yaml.MappingNode):
                found = self._keys(node).get(str(part))
                if found is None:
                    return line
                key_node, node = found
                line = key_node.start_mark.line + 1
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if part >= len(node.value):
                    return line
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                return line
        return line


def _short(tag: str) -> str:
    return "!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag


class _Frame:
    """A collection being composed: its node, its children so far, and
    (for mappings) the key whose value comes next."""

    __slots__ = ("node", "items", "anchor", "is_map", "key", "keys", "weight", "path")

    def __init__(self, node: yaml.Node, anchor: str | None, path: str):
        self.node = node
        self.items: list[yaml.Node] = []
        self.anchor = anchor
        self.is_map = isinstance(node, yaml.MappingNode)
        self.key: str | None = None  # mappings: the pending key, once read
        self.keys: dict[str, int] = {}  # mappings: key -> line it was first defined on
        self.weight = 1  # nodes in this subtree, aliases expanded
        self.path = path

    def child_path(self) -> str:
        if self.is_map:
            key = self.key if self.key is not None else "?"
            return f"{self.path}.{key}" if self.path else key
        return f"{self.path}[{len(self.items)}]"


class _Composer:
    def __init__(self, loader, known_top: frozenset[str] | None = None):
        self.loader = loader
        self.known_top = known_top  # the allowed top-level keys, if the caller knows them
        self.strays: list[tuple[str, int]] = []
        self.unknown_top = 0
        self.anchors: dict[str, tuple[yaml.Node, int]] = {}  # closed anchors: node, weight
        self.open_anchors: set[str] = set()
        self.stack: list[_Frame] = []
        self.nodes = 0
        self.expanded = 0

    def fail(self, event, path: str, message: str):
        raise ConfigError(path, message, event.start_mark.line + 1 if event.start_mark else None)

    def path_here(self) -> str:
        """Key path of the node being read (only computed for a message)."""
        return self.stack[-1].child_path() if self.stack else ""

    def compose(self) -> yaml.Node | None:
        loader = self.loader
        loader.get_event()  # StreamStart
        if loader.check_event(StreamEndEvent):
            return None
        loader.get_event()  # DocumentStart
        root = self.compose_body()
        loader.get_event()  # DocumentEnd
        if not loader.check_event(StreamEndEvent):
            event = loader.peek_event()
            self.fail(event, "", "the config must be one YAML document (found a second '---' document)")
        return root

    def compose_body(self) -> yaml.Node:
        get_event, resolve = self.loader.get_event, self.loader.resolve
        stack, anchors = self.stack, self.anchors
        Scalar, Sequence, Mapping = yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode
        while True:
            event = get_event()
            kind = type(event)
            if kind is MappingEndEvent or kind is SequenceEndEvent:
                frame = stack.pop()
                node = frame.node
                items = frame.items
                node.value = list(zip(items[0::2], items[1::2])) if frame.is_map else items
                node.end_mark = event.end_mark
                if frame.anchor is not None:
                    self.open_anchors.discard(frame.anchor)
                    anchors[frame.anchor] = (node, frame.weight)
                if not stack:
                    return node
                parent = stack[-1]
                parent.items.append(node)
                parent.weight += frame.weight
                continue
            top = stack[-1] if stack else None
            is_key = top is not None and top.is_map and not len(top.items) & 1
            if kind is ScalarEvent:
                tag = event.tag
                if tag is None or tag == "!":
                    tag = resolve(Scalar, event.value, event.implicit)
                node = Scalar(tag, event.value, event.start_mark, event.end_mark, style=event.style)
                self.nodes += 1
                self.expanded += 1
                if self.nodes > MAX_NODES or self.expanded > MAX_EXPANDED:
                    self.over_limit(event)
                if is_key:
                    self.check_key(event, tag, node, top)
                    if len(stack) == 1 and self.stray(top, event):
                        continue
                elif tag not in ALLOWED_TAGS:
                    self.refuse_tag(event, tag, self.path_here())
                if event.anchor is not None:
                    anchors[event.anchor] = (node, 1)
                if top is None:
                    return node
                top.items.append(node)
                top.weight += 1
                continue
            if is_key:
                self.fail(event, top.path, "mapping keys must be plain strings (no lists, mappings or aliases as keys)")
            if kind is AliasEvent:
                node, weight = self.alias(event)
                self.expanded += weight
                if self.expanded > MAX_EXPANDED:
                    self.over_limit(event)
                if top is None:
                    return node
                top.items.append(node)
                top.weight += weight
                continue
            if kind is not SequenceStartEvent and kind is not MappingStartEvent:  # pragma: no cover
                self.fail(event, self.path_here(), "malformed YAML: unexpected end of document")
            collection = Sequence if kind is SequenceStartEvent else Mapping
            tag = event.tag
            if tag is None or tag == "!":
                tag = resolve(collection, None, event.implicit)
            path = self.path_here()
            if tag not in ALLOWED_TAGS:
                self.refuse_tag(event, tag, path)
            self.nodes += 1
            self.expanded += 1
            if self.nodes > MAX_NODES or self.expanded > MAX_EXPANDED:
                self.over_limit(event)
            if len(stack) >= MAX_DEPTH:
                self.fail(event, path, f"nested deeper than {MAX_DEPTH} levels")
            anchor = event.anchor
            if anchor is not None:
                anchors.pop(anchor, None)
                self.open_anchors.add(anchor)
            stack.append(_Frame(collection(tag, [], event.start_mark, None, flow_style=event.flow_style), anchor, path))

    def stray(self, frame: _Frame, event) -> bool:
        """An unknown top-level key past the first STRAYS_COMPOSED whose value
        is one plain scalar: keep the key and its line, read past the value.
        True when it was read past. Any other value (a collection, an
        anchor, an alias) is composed as usual, so every rule holds for it
        with the same message."""
        if self.known_top is None or frame.key in self.known_top:
            return False
        self.unknown_top += 1
        if self.unknown_top <= STRAYS_COMPOSED:
            return False
        loader = self.loader
        value = loader.peek_event()
        if type(value) is not ScalarEvent or value.anchor is not None:
            return False
        loader.get_event()
        # The tag rules as for a composed value (an unquoted timestamp
        # included), with the same path in the message.
        tag = value.tag
        if tag is None or tag == "!":
            tag = loader.resolve(yaml.ScalarNode, value.value, value.implicit)
        if tag not in ALLOWED_TAGS:
            self.refuse_tag(value, tag, frame.child_path())
        self.nodes += 1
        self.expanded += 1
        if self.nodes > MAX_NODES or self.expanded > MAX_EXPANDED:
            self.over_limit(value)
        self.strays.append((frame.key, event.start_mark.line + 1))
        frame.key = None
        return True

    def alias(self, event) -> tuple[yaml.Node, int]:
        name = event.anchor
        if name in self.open_anchors:
            self.fail(event, self.path_here(), f"alias *{name} refers to the node that contains it")
        if name not in self.anchors:
            self.fail(event, self.path_here(), f"malformed YAML: found undefined alias *{name}")
        return self.anchors[name]

    def over_limit(self, event) -> None:
        if self.nodes > MAX_NODES:
            self.fail(event, self.path_here(), f"the config has more than {MAX_NODES:,} YAML nodes")
        self.fail(event, self.path_here(), f"aliases expand to more than {MAX_EXPANDED:,} YAML nodes")

    def refuse_tag(self, event, tag: str, where: str) -> None:
        if tag == _CORE + "merge":
            self.fail(event, where, "merge keys (<<) are not allowed: they silently override keys; write the keys out")
        if tag == _CORE + "timestamp":
            self.fail(event, where, f"YAML reads {event.value} as a timestamp; quote it")
        self.fail(event, where, f"the YAML tag {_short(tag)} is not allowed "
                                "(only plain strings, numbers, booleans, null, lists and mappings)")

    def check_key(self, event, tag: str, node: yaml.Node, frame: _Frame) -> None:
        where = f"{frame.path}.{event.value}" if frame.path else event.value
        if tag != _STR:
            if tag == _CORE + "merge" or tag not in _READS_AS:
                self.refuse_tag(event, tag, where)
            shown = self.loader.construct_object(node)
            if isinstance(shown, bool):
                shown = str(shown).lower()
            self.fail(event, where, f"YAML reads the key {event.value} as {_READS_AS[tag].format(value=shown)}; quote it")
        # The key as constructed: a str-tagged scalar constructs to its value,
        # whatever tag or quoting spelled it (SafeConstructor.construct_scalar
        # returns a scalar node's value as it is).
        key = event.value
        if key in frame.keys:
            self.fail(event, where, f"duplicate key (first defined on line {frame.keys[key]})")
        frame.keys[key] = event.start_mark.line + 1
        frame.key = key


def parse_yaml(text: str, known_top: frozenset[str] | None = None) -> LoadedYaml:
    """The document and its node tree. With ``known_top`` (the allowed
    top-level keys), unknown top-level keys past the first STRAYS_COMPOSED
    come back in ``strays`` instead (see STRAYS_COMPOSED)."""
    if len(text) > MAX_BYTES:
        raise ConfigError("", f"the config is larger than the limit of {MAX_BYTES // (1024 * 1024)} MiB")
    loader = _Loader(text)
    composer = _Composer(loader, known_top)
    try:
        root = composer.compose()
        if root is None:
            return LoadedYaml(None, None)
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError("", f"malformed YAML: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise ConfigError("", f"malformed YAML: {exc}") from None
    finally:
        loader.dispose()
    return LoadedYaml(data, root, composer.strays)


def read_yaml(path: Path, known_top: frozenset[str] | None = None) -> LoadedYaml:
    try:
        with open(path, "rb") as handle:
            # Refuse a huge file before reading it, not after: size is
            # checked on the open file (no race with a replaced path).
            size = _file_size(handle)
            if size > MAX_BYTES:
                raise ConfigError("", f"the config is larger than the limit of {MAX_BYTES // (1024 * 1024)} MiB "
                                      f"({size:,} bytes): {path}")
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError("", f"config file not found: {path}") from None
    except IsADirectoryError:
        raise ConfigError("", f"the config is a directory, not a file: {path}") from None
    except OSError as exc:
        raise ConfigError("", f"cannot read config file {path}: {exc.strerror}") from None
    if len(raw) > MAX_BYTES:
        raise ConfigError("", f"the config is larger than the limit of {MAX_BYTES // (1024 * 1024)} MiB: {path}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError("", f"config file is not UTF-8 text: {path}") from None
    return parse_yaml(text, known_top)


def _file_size(handle) -> int:
    import os
    import stat

    info = os.fstat(handle.fileno())
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError
    return info.st_size if stat.S_ISREG(info.st_mode) else 0
