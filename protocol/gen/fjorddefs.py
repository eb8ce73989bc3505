"""Parser for Fjord's message definition files (protocol/messages/*.def).

The format is described in protocol/messages/README.md. In short:

    request ProduceRequest key 0 v0-11 flex 9+ deprecated 0-6
      TransactionalId  string              v3+  null 3+ = null
      TopicData        []TopicProduceData  v0+
        Name           string              v0+

A top-level line starts a message (request, response, header or data). Indented
lines are fields, nested by two spaces. A field line is

    Name  Type  vVERSIONS  [null RANGE] [tag N RANGE] [= DEFAULT] [flex none]
                           [ignorable] [zerocopy]

`common Name vRANGE` (indented once) starts a struct shared by several fields of
the message; fields referring to it name its type and have no children.
Lines whose first non-blank character is '#' are comments.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Optional

PRIMITIVES = {
    "bool", "int8", "int16", "uint16", "int32", "uint32", "int64", "float64",
    "uuid", "string", "bytes", "records",
}
NEVER = 0x7FFF


class DefError(Exception):
    pass


@dataclass(frozen=True)
class Range:
    lo: int
    hi: int  # inclusive; NEVER means open ended

    @staticmethod
    def parse(text: str, where: str) -> Optional["Range"]:
        text = text.strip()
        if text == "none":
            return None
        m = re.fullmatch(r"(\d+)(\+|-(\d+))?", text)
        if not m:
            raise DefError(f"{where}: bad version range '{text}'")
        lo = int(m.group(1))
        if m.group(2) is None:
            return Range(lo, lo)
        if m.group(2) == "+":
            return Range(lo, NEVER)
        return Range(lo, int(m.group(3)))

    def contains(self, v: int) -> bool:
        return self.lo <= v <= self.hi

    def __str__(self) -> str:
        if self.hi == NEVER:
            return f"{self.lo}+"
        if self.hi == self.lo:
            return f"{self.lo}"
        return f"{self.lo}-{self.hi}"


def range_str(r: Optional[Range]) -> str:
    return "none" if r is None else str(r)


@dataclass
class Field:
    name: str
    type: str
    versions: Optional[Range]
    nullable: Optional[Range] = None
    tag: Optional[int] = None
    tagged: Optional[Range] = None
    default: Optional[str] = None
    flex_none: bool = False
    ignorable: bool = False
    zerocopy: bool = False
    fields: list["Field"] = field(default_factory=list)
    line: int = 0

    @property
    def is_array(self) -> bool:
        return self.type.startswith("[]")

    @property
    def elem_type(self) -> str:
        return self.type[2:] if self.is_array else self.type

    @property
    def is_struct(self) -> bool:
        return self.elem_type not in PRIMITIVES

    def exists_in(self, v: int) -> bool:
        return self.versions is not None and self.versions.contains(v)

    def nullable_in(self, v: int) -> bool:
        return self.nullable is not None and self.nullable.contains(v)


@dataclass
class Struct:
    name: str
    versions: Optional[Range]
    fields: list[Field]


@dataclass
class Message:
    kind: str  # request | response | header | data
    name: str
    api_key: Optional[int]
    valid: Range
    flexible: Optional[Range]
    deprecated: Optional[Range] = None
    unstable: bool = False
    fields: list[Field] = field(default_factory=list)
    commons: dict[str, Struct] = field(default_factory=dict)
    file: str = ""

    def flex_min(self) -> int:
        return NEVER if self.flexible is None else self.flexible.lo

    def structs(self) -> list[Struct]:
        """Every struct type of the message, children before parents."""
        out: list[Struct] = []
        seen: set[str] = set()

        def visit_common(c: Struct) -> None:
            if c.name in seen:
                return
            seen.add(c.name)
            visit_fields(c.fields)
            out.append(c)

        def visit_fields(fields: list[Field]) -> None:
            for f in fields:
                if f.is_struct and f.fields:
                    visit_fields(f.fields)
                    if f.elem_type in seen:
                        raise DefError(f"{self.file}:{f.line}: struct {f.elem_type} defined twice")
                    seen.add(f.elem_type)
                    out.append(Struct(f.elem_type, f.versions, f.fields))
                elif f.is_struct and f.elem_type in self.commons:
                    visit_common(self.commons[f.elem_type])

        for c in self.commons.values():
            visit_common(c)
        visit_fields(self.fields)
        return out


def _parse_field(tokens: list[str], where: str, line: int) -> Field:
    if len(tokens) < 3:
        raise DefError(f"{where}: a field needs a name, a type and versions")
    name, typ, ver = tokens[0], tokens[1], tokens[2]
    if not ver.startswith("v"):
        raise DefError(f"{where}: versions must start with 'v', got '{ver}'")
    f = Field(name=name, type=typ, versions=Range.parse(ver[1:], where), line=line)
    i = 3
    while i < len(tokens):
        t = tokens[i]
        if t == "null":
            f.nullable = Range.parse(tokens[i + 1], where)
            i += 2
        elif t == "tag":
            f.tag = int(tokens[i + 1])
            f.tagged = Range.parse(tokens[i + 2], where)
            i += 3
        elif t == "=":
            f.default = tokens[i + 1]
            if f.default == '""':
                f.default = ""
            i += 2
        elif t == "flex":
            if tokens[i + 1] != "none":
                raise DefError(f"{where}: only 'flex none' is allowed on a field")
            f.flex_none = True
            i += 2
        elif t == "ignorable":
            f.ignorable = True
            i += 1
        elif t == "zerocopy":
            f.zerocopy = True
            i += 1
        else:
            raise DefError(f"{where}: unknown attribute '{t}'")
    return f


def _parse_header(tokens: list[str], where: str) -> Message:
    kind, name = tokens[0], tokens[1]
    api_key = None
    valid = None
    flexible: Optional[Range] = None
    have_flex = False
    deprecated = None
    unstable = False
    i = 2
    while i < len(tokens):
        t = tokens[i]
        if t == "key":
            api_key = int(tokens[i + 1])
            i += 2
        elif t.startswith("v") and valid is None:
            valid = Range.parse(t[1:], where)
            i += 1
        elif t == "flex":
            flexible = Range.parse(tokens[i + 1], where)
            have_flex = True
            i += 2
        elif t == "deprecated":
            deprecated = Range.parse(tokens[i + 1], where)
            i += 2
        elif t == "unstable":
            unstable = True
            i += 1
        else:
            raise DefError(f"{where}: unknown message attribute '{t}'")
    if valid is None or not have_flex:
        raise DefError(f"{where}: a message needs vVERSIONS and flex")
    if kind in ("request", "response") and api_key is None:
        raise DefError(f"{where}: {kind} needs a key")
    return Message(kind, name, api_key, valid, flexible, deprecated, unstable)


def parse_file(path: str) -> list[Message]:
    msgs: list[Message] = []
    stack: list[tuple[int, list[Field]]] = []
    cur: Optional[Message] = None
    with open(path) as fh:
        for lineno, raw in enumerate(fh, 1):
            where = f"{os.path.basename(path)}:{lineno}"
            body = raw.rstrip("\n")
            stripped = body.strip()
            if not stripped or stripped.startswith("#"):
                continue
            indent = len(body) - len(body.lstrip(" "))
            if indent % 2:
                raise DefError(f"{where}: indentation must be a multiple of two spaces")
            tokens = stripped.split()
            if indent == 0:
                if tokens[0] not in ("request", "response", "header", "data"):
                    raise DefError(f"{where}: expected request/response/header/data")
                cur = _parse_header(tokens, where)
                cur.file = os.path.basename(path)
                msgs.append(cur)
                stack = [(0, cur.fields)]
                continue
            if cur is None:
                raise DefError(f"{where}: field outside a message")
            depth = indent // 2
            if tokens[0] == "common":
                if depth != 1:
                    raise DefError(f"{where}: 'common' must be indented once")
                s = Struct(tokens[1], Range.parse(tokens[2][1:], where), [])
                cur.commons[s.name] = s
                stack = [(0, cur.fields), (1, s.fields)]
                continue
            # Find the list this field belongs to.
            while stack and stack[-1][0] >= depth:
                stack.pop()
            if not stack:
                raise DefError(f"{where}: bad nesting")
            parent_depth, parent = stack[-1]
            if depth != parent_depth + 1:
                raise DefError(f"{where}: indented too far")
            f = _parse_field(tokens, where, lineno)
            parent.append(f)
            stack.append((depth, f.fields))
    for m in msgs:
        _check(m)
    return msgs


def _check(m: Message) -> None:
    known = {s.name for s in m.structs()}

    def walk(fields: list[Field]) -> None:
        tags: set[int] = set()
        for f in fields:
            if f.is_struct and not f.fields and f.elem_type not in m.commons:
                raise DefError(f"{m.file}:{f.line}: unknown type {f.type}")
            if f.tag is not None:
                if f.tag in tags:
                    raise DefError(f"{m.file}:{f.line}: tag {f.tag} used twice")
                tags.add(f.tag)
            walk(f.fields)

    walk(m.fields)
    for c in m.commons.values():
        walk(c.fields)
    del known


def load_dir(path: str) -> list[Message]:
    out: list[Message] = []
    for name in sorted(os.listdir(path)):
        if name.endswith(".def"):
            out.extend(parse_file(os.path.join(path, name)))
    return out
