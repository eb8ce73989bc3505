#!/usr/bin/env python3
"""Generates C++ message types from protocol/messages/*.def.

Usage: gen_cpp.py DEFS_DIR OUT_DIR

Writes into OUT_DIR/codec/:
  messages.h            every message struct, the API table and the visitors
  msg_<file>.cc         decode/encode of the messages of one .def file
  messages_fill.h/.cc   test support: fill a message with random values for a version
Files are only rewritten when their content changes, so the build stays incremental.
"""

from __future__ import annotations

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fjorddefs import NEVER, Field, Message, Range, Struct, load_dir  # noqa: E402

INT_TYPES = {
    "int8": ("int8_t", 1), "int16": ("int16_t", 2), "uint16": ("uint16_t", 2),
    "int32": ("int32_t", 4), "uint32": ("uint32_t", 4), "int64": ("int64_t", 8),
}
FIXED_SIZE = {"bool": 1, "float64": 8, "uuid": 16, **{k: v[1] for k, v in INT_TYPES.items()}}
KEYWORDS = {
    "default", "class", "new", "delete", "operator", "private", "public", "template", "typename",
    "union", "namespace", "this", "register", "int", "char", "bool", "auto", "case", "switch", "for",
    "while", "do", "if", "else", "return", "const", "static", "struct", "enum", "void", "long",
    "short", "signed", "unsigned", "float", "double", "version", "flex",
}


def snake(name: str) -> str:
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    s = s.lower()
    return s + "_" if s in KEYWORDS else s


def cond(r: Range | None, m: Message) -> str:
    """A C++ condition that `version` lies in r, simplified by the message's valid range."""
    if r is None:
        return "false"
    parts = []
    if r.lo > m.valid.lo:
        parts.append(f"version >= {r.lo}")
    if r.hi < m.valid.hi:
        parts.append(f"version <= {r.hi}")
    return " && ".join(parts) if parts else "true"


def guard(c: str) -> str:
    return "" if c == "true" else f"if ({c}) "


class Gen:
    def __init__(self, m: Message):
        self.m = m
        self.structs = {s.name: s for s in m.structs()}

    # ---- types -------------------------------------------------------------------------------
    def elem_cpp(self, t: str) -> str:
        if t in INT_TYPES:
            return INT_TYPES[t][0]
        return {"bool": "bool", "float64": "double", "uuid": "Uuid", "string": "std::string",
                "bytes": "Bytes", "records": "Records"}.get(t, t)

    def cpp_type(self, f: Field) -> str:
        base = self.elem_cpp(f.elem_type)
        if f.is_array:
            base = f"std::vector<{base}>"
        if f.nullable is not None and f.type != "records":
            return f"std::optional<{base}>"
        return base

    def init(self, f: Field) -> str:
        """The C++ initializer of the field's default value ('' for value-initialisation)."""
        d = f.default
        t = f.type
        if f.nullable is not None and d == "null":
            return "std::nullopt"
        if f.is_array or f.is_struct or t in ("bytes", "records", "uuid"):
            return ""
        if t == "string":
            return "" if not d else '"' + d.replace('"', '\\"') + '"'
        if t == "bool":
            return "true" if (d or "").lower() == "true" else "false"
        if t == "float64":
            return d or "0.0"
        if d is None:
            return "0"
        v = int(d, 0)
        ctype = INT_TYPES[t][0]
        return f"static_cast<{ctype}>({v}LL)" if v < 0 else f"static_cast<{ctype}>({v}ULL)"

    def member_decl(self, f: Field) -> str:
        i = self.init(f)
        if f.nullable is not None and f.type != "records" and i == "" and f.default != "null":
            # A nullable field whose default is a value, not null.
            return f"{self.cpp_type(f)} {snake(f.name)} = {self.elem_cpp_array(f)}{{}};"
        return f"{self.cpp_type(f)} {snake(f.name)}{{{i}}};"

    def elem_cpp_array(self, f: Field) -> str:
        base = self.elem_cpp(f.elem_type)
        return f"std::vector<{base}>" if f.is_array else base

    # ---- minimum encoded sizes (for array-count checks) ---------------------------------------
    def flex_at(self, v: int) -> bool:
        return v >= self.m.flex_min()

    def field_min(self, f: Field, v: int) -> int:
        compact = self.flex_at(v) and not f.flex_none
        if f.is_array:
            return 1 if compact else 4
        t = f.elem_type
        if t in FIXED_SIZE:
            return FIXED_SIZE[t]
        if t == "string":
            return 1 if compact else 2
        if t in ("bytes", "records"):
            return 1 if compact else 4
        n = self.struct_min(self.structs[t], v)
        return n + (1 if f.nullable_in(v) else 0)

    def struct_min(self, s: Struct, v: int) -> int:
        n = 1 if self.flex_at(v) else 0
        for f in s.fields:
            if f.tag is None and f.exists_in(v):
                n += self.field_min(f, v)
        return n

    def elem_min(self, f: Field) -> int:
        best = None
        for v in range(self.m.valid.lo, self.m.valid.hi + 1):
            if not f.exists_in(v):
                continue
            compact = self.flex_at(v) and not f.flex_none
            t = f.elem_type
            if t in FIXED_SIZE:
                n = FIXED_SIZE[t]
            elif t == "string":
                n = 1 if compact else 2
            elif t in ("bytes", "records"):
                n = 1 if compact else 4
            else:
                n = self.struct_min(self.structs[t], v)
            best = n if best is None else min(best, n)
        if not best:
            raise SystemExit(f"{self.m.file}: array {f.name} may have zero-size elements")
        return best

    # ---- encode ------------------------------------------------------------------------------
    def enc_elem(self, t: str, expr: str, w: str, c: str) -> str:
        if t in INT_TYPES or t in ("bool", "float64", "uuid"):
            return f"{w}.write_{t}({expr});"
        if t == "string":
            return f"{w}.write_string({expr}, {c});"
        if t == "bytes":
            return f"{w}.write_bytes({expr}, {c});"
        return f"{expr}.encode({w}, version);"

    def null_cond(self, f: Field) -> str:
        """When the field may be null: 'true' if in every version it exists in."""
        if f.nullable is not None and f.versions is not None and \
                f.nullable.lo <= f.versions.lo and f.nullable.hi >= f.versions.hi:
            return "true"
        return cond(f.nullable, self.m)

    def enc_value(self, f: Field, w: str, compact: str) -> list[str]:
        x = snake(f.name)
        nc = self.null_cond(f)
        t = f.elem_type
        if f.is_array:
            body = [f"{w}.write_array_length(v.size(), {compact});",
                    f"for (const auto& e : v) {{ {self.enc_elem(t, 'e', w, compact)} }}"]
            if f.nullable is None:
                return ["{", f"  const auto& v = {x};", *["  " + b for b in body], "}"]
            return ["if (!" + x + ") {",
                    f"  if ({nc}) {{ {w}.write_null_array({compact}); }} else {{ {w}.write_array_length(0, {compact}); }}",
                    "} else {", f"  const auto& v = *{x};", *["  " + b for b in body], "}"]
        if t == "records":
            return [f"{w}.write_records({x}, {compact});"]
        if t == "string" and f.nullable is not None and nc == "true":
            return [f"{w}.write_nullable_string({x}, {compact});"]
        if t == "bytes" and f.nullable is not None and nc == "true":
            return [f"{w}.write_nullable_bytes({x}, {compact});"]
        if t == "string" and f.nullable is not None:
            return [f"if ({nc}) {{ {w}.write_nullable_string({x}, {compact}); }} "
                    f"else {{ {w}.write_string({x} ? std::string_view(*{x}) : std::string_view(), {compact}); }}"]
        if t == "bytes" and f.nullable is not None:
            return [f"if ({nc}) {{ {w}.write_nullable_bytes({x}, {compact}); }} "
                    f"else {{ {w}.write_bytes({x} ? std::span<const uint8_t>(*{x}) : std::span<const uint8_t>(), {compact}); }}"]
        if f.is_struct and f.nullable is not None:
            return [f"if ({nc}) {{",
                    f"  if (!{x}) {{ {w}.write_int8(-1); }} else {{ {w}.write_int8(1); {x}->encode({w}, version); }}",
                    "} else {",
                    f"  if ({x}) {{ {x}->encode({w}, version); }} else {{ {t}{{}}.encode({w}, version); }}",
                    "}"]
        return [self.enc_elem(t, x, w, compact)]

    def present(self, f: Field) -> str:
        x = snake(f.name)
        i = self.init(f)
        if i == "std::nullopt":
            return f"{x}.has_value()"
        if f.is_array:
            return f"(!{x} || !{x}->empty())" if f.nullable is not None else f"!{x}.empty()"
        if f.type == "records":
            return f"!{x}.is_null()"
        if f.nullable is not None:
            return f"(!{x} || *{x} != {self.elem_cpp_array(f)}{{{i}}})"
        return f"{x} != {self.cpp_type(f)}{{{i}}}"

    def gen_encode(self, s: Struct, qual: str) -> list[str]:
        out = [f"template <class W>", f"void {qual}::encode(W& w, int16_t version) const {{",
               f"  [[maybe_unused]] const bool flex = version >= {self.m.flex_min()};"]
        for f in s.fields:
            if f.tag is not None:
                continue
            compact = "false" if f.flex_none else "flex"
            c = cond(f.versions, self.m)
            lines = self.enc_value(f, "w", compact)
            if c == "true":
                out += ["  " + l for l in lines]
            else:
                out += [f"  if ({c}) {{", *["    " + l for l in lines], "  }"]
        tagged = sorted([f for f in s.fields if f.tag is not None], key=lambda f: f.tag)
        out.append("  if (flex) {")
        out.append("    uint32_t ntags = static_cast<uint32_t>(unknown_tags.size());")
        for f in tagged:
            out.append(f"    const bool p_{f.tag} = ({cond(f.tagged, self.m)}) && {self.present(f)};")
            out.append(f"    ntags += p_{f.tag} ? 1 : 0;")
        out.append("    w.write_uvarint(ntags);")
        out.append("    size_t ui = 0;")
        for f in tagged:
            out.append(f"    ui = detail::write_raw_tags_below(w, unknown_tags, ui, {f.tag});")
            out.append(f"    if (p_{f.tag}) {{")
            out.append(f"      auto enc = [&](auto& ww) {{")
            out += ["        " + l for l in self.enc_value(f, "ww", "true")]
            out.append("      };")
            out.append("      SizeCounter sc;")
            out.append("      enc(sc);")
            out.append(f"      w.write_uvarint({f.tag});")
            out.append("      w.write_uvarint(static_cast<uint32_t>(sc.size()));")
            out.append("      enc(w);")
            out.append("    }")
        out.append("    detail::write_raw_tags_below(w, unknown_tags, ui, UINT64_MAX);")
        out.append("  }")
        out.append("}")
        return out

    # ---- decode ------------------------------------------------------------------------------
    def dec_elem(self, t: str, target: str, r: str, c: str) -> str:
        if t in INT_TYPES or t in ("bool", "float64", "uuid"):
            return f"{target} = {r}.read_{t}();"
        if t == "string":
            return f"{target} = {r}.read_string({c});"
        if t == "bytes":
            return f"{target} = {r}.read_bytes({c});"
        return f"{target}.decode({r}, version);"

    def dec_value(self, f: Field, r: str, compact: str) -> list[str]:
        x = snake(f.name)
        nc = self.null_cond(f)
        t = f.elem_type
        if f.is_array:
            ms = self.elem_min(f)
            lines = [f"const int32_t n = {r}.read_array_length({compact}, {ms});"]
            if f.nullable is not None:
                lines += [f"if (n < 0) {{",
                          f"  if (!({nc})) throw DecodeError(\"null array for a non-nullable field\");",
                          f"  {x} = std::nullopt;", "} else {",
                          f"  auto& v = {x}.emplace();"]
            else:
                lines += ["if (n < 0) throw DecodeError(\"null array for a non-nullable field\");",
                          "{", f"  auto& v = {x};"]
            lines += ["  v.clear();",
                      "  for (int32_t i = 0; i < n; ++i) {",
                      "    auto& e = v.emplace_back();",
                      "    " + self.dec_elem(t, "e", r, compact),
                      "  }", "}"]
            return ["{", *["  " + l for l in lines], "}"]
        if t == "records":
            return [f"{x} = {r}.read_records({compact});"]
        if t == "string" and f.nullable is not None and nc == "true":
            return [f"{x} = {r}.read_nullable_string({compact});"]
        if t == "bytes" and f.nullable is not None and nc == "true":
            return [f"{x} = {r}.read_nullable_bytes({compact});"]
        if t == "string" and f.nullable is not None:
            return [f"if ({nc}) {{ {x} = {r}.read_nullable_string({compact}); }} "
                    f"else {{ {x} = {r}.read_string({compact}); }}"]
        if t == "bytes" and f.nullable is not None:
            return [f"if ({nc}) {{ {x} = {r}.read_nullable_bytes({compact}); }} "
                    f"else {{ {x} = {r}.read_bytes({compact}); }}"]
        if f.is_struct and f.nullable is not None:
            return [f"if (({nc}) && {r}.read_int8() < 0) {{ {x} = std::nullopt; }} "
                    f"else {{ {x}.emplace().decode({r}, version); }}"]
        return [self.dec_elem(t, x, r, compact)]

    def gen_decode(self, s: Struct, qual: str) -> list[str]:
        out = [f"void {qual}::decode(Reader& r, int16_t version) {{",
               f"  [[maybe_unused]] const bool flex = version >= {self.m.flex_min()};",
               "  const char* field = \"\";", "  try {"]
        for f in s.fields:
            if f.tag is not None:
                continue
            compact = "false" if f.flex_none else "flex"
            c = cond(f.versions, self.m)
            lines = [f"field = \"{f.name}\";", *self.dec_value(f, "r", compact)]
            if c == "true":
                out += ["    " + l for l in lines]
            else:
                out += [f"    if ({c}) {{", *["      " + l for l in lines], "    }"]
        tagged = sorted([f for f in s.fields if f.tag is not None], key=lambda f: f.tag)
        out.append("    if (flex) {")
        out.append("      field = \"tagged fields\";")
        out.append("      detail::read_tag_section(r, unknown_tags, [&](uint32_t tag, Reader& sub) -> bool {")
        for f in tagged:
            out.append(f"        if (tag == {f.tag} && ({cond(f.tagged, self.m)})) {{")
            out.append(f"          field = \"{f.name}\";")
            out += ["          " + l for l in self.dec_value(f, "sub", "true")]
            out.append("          return true;")
            out.append("        }")
        out.append("        return false;")
        out.append("      });")
        out.append("    }")
        out.append("  } catch (DecodeError& e) {")
        out.append("    e.prepend_field(field);")
        out.append("    throw;")
        out.append("  }")
        out.append("}")
        return out

    # ---- declarations ------------------------------------------------------------------------
    def struct_body(self, s: Struct, name: str, indent: str) -> list[str]:
        out = []
        for f in s.fields:
            out.append(f"{indent}{self.member_decl(f)}")
        out.append(f"{indent}UnknownTags unknown_tags;")
        out.append("")
        out.append(f"{indent}void decode(Reader& r, int16_t version);")
        out.append(f"{indent}template <class W>")
        out.append(f"{indent}void encode(W& w, int16_t version) const;")
        out.append(f"{indent}size_t encoded_size(int16_t version) const;")
        out.append(f"{indent}bool operator==(const {name}&) const = default;")
        return out

    def declaration(self) -> list[str]:
        m = self.m
        # Nested structs live in a namespace of their own and are aliased into the message:
        # defined inside the message, their default member initializers would make them
        # incomplete for std::optional/std::is_constructible until the message is complete.
        ns = self.ns()
        out = [f"// {m.kind} {m.name}: defined in protocol/messages/{m.file}"]
        if m.structs():
            out.append(f"namespace {ns} {{")
            for st in m.structs():
                out.append(f"struct {st.name} {{")
                out += self.struct_body(st, st.name, "  ")
                out.append("};")
                out.append("")
            out.append(f"}}  // namespace {ns}")
            out.append("")
        out.append(f"struct {m.name} {{")
        key = m.api_key if m.api_key is not None else -1
        out += [f"  static constexpr int16_t kApiKey = {key};",
                f"  static constexpr int16_t kMinVersion = {m.valid.lo};",
                f"  static constexpr int16_t kMaxVersion = {m.valid.hi};",
                f"  static constexpr int16_t kFlexibleMin = {m.flex_min()};  // {NEVER}: never flexible",
                f"  static constexpr std::string_view kName = \"{m.name}\";", ""]
        for st in m.structs():
            out.append(f"  using {st.name} = {ns}::{st.name};")
        out.append("")
        out += self.struct_body(Struct(m.name, m.valid, m.fields), m.name, "  ")
        out.append("};")
        out.append("")
        return out

    def ns(self) -> str:
        return snake(self.m.name).rstrip("_") + "_types"

    def definitions(self) -> list[str]:
        m = self.m
        out = []
        all_structs = [(s, f"{self.ns()}::{s.name}") for s in m.structs()]
        all_structs.append((Struct(m.name, m.valid, m.fields), m.name))
        for s, qual in all_structs:
            out += self.gen_decode(s, qual)
            out.append("")
            out += self.gen_encode(s, qual)
            out.append("")
            out += [f"size_t {qual}::encoded_size(int16_t version) const {{",
                    "  SizeCounter c;", "  encode(c, version);", "  return c.size();", "}", ""]
            out += [f"template void {qual}::encode<Writer>(Writer&, int16_t) const;",
                    f"template void {qual}::encode<SizeCounter>(SizeCounter&, int16_t) const;", ""]
        return out

    # ---- test support: random filling ----------------------------------------------------------
    def fill_elem(self, t: str, target: str) -> str:
        if t in INT_TYPES:
            return f"{target} = static_cast<{INT_TYPES[t][0]}>(rng.next());"
        if t in ("bool", "float64", "uuid", "string", "bytes", "records"):
            method = "boolean" if t == "bool" else t
            return f"{target} = rng.{method}();"
        return f"fill({target}, rng, version);"

    def fill_field(self, f: Field) -> list[str]:
        x = "m." + snake(f.name)
        nc = cond(f.nullable, self.m)
        t = f.elem_type
        lines = []
        if f.nullable is not None and f.type != "records":
            lines.append(f"if (({nc}) && rng.chance(4)) {{ {x} = std::nullopt; }} else {{")
            tgt = f"{x}.emplace()"
            if f.is_array:
                lines += ["  auto& v = " + tgt + ";", "  v.clear();",
                          "  for (int i = 0, n = rng.count(); i < n; ++i) { auto& e = v.emplace_back(); "
                          + self.fill_elem(t, "e") + " }"]
            else:
                lines += [f"  auto& v = {tgt};", "  " + self.fill_elem(t, "v")]
            lines.append("}")
            return lines
        if f.is_array:
            return [f"{x}.clear();",
                    f"for (int i = 0, n = rng.count(); i < n; ++i) {{ auto& e = {x}.emplace_back(); "
                    + self.fill_elem(t, "e") + " }"]
        if t == "records":
            return [f"if (({nc}) && rng.chance(4)) {{ {x} = Records(); }} else {{ {x} = rng.records(); }}"]
        return [self.fill_elem(t, x)]

    def fill_defs(self) -> tuple[list[str], list[str]]:
        m = self.m
        decls, defs = [], []
        all_structs = [(s, f"{self.ns()}::{s.name}") for s in m.structs()]
        all_structs.append((Struct(m.name, m.valid, m.fields), m.name))
        for s, qual in all_structs:
            decls.append(f"void fill({qual}& m, Rng& rng, int16_t version);")
        for s, qual in all_structs:
            defs.append(f"void fill({qual}& m, Rng& rng, int16_t version) {{")
            defs.append(f"  [[maybe_unused]] const bool flex = version >= {m.flex_min()};")
            for f in s.fields:
                c = cond(f.tagged if f.tag is not None else f.versions, m)
                if f.tag is not None:
                    c = f"flex && ({c}) && rng.chance(2)"
                lines = self.fill_field(f)
                defs += [f"  if ({c}) {{", *["    " + l for l in lines], "  }"]
            defs.append("}")
            defs.append("")
        return decls, defs


def write_if_changed(path: str, text: str) -> None:
    if os.path.exists(path):
        with open(path) as fh:
            if fh.read() == text:
                return
    with open(path, "w") as fh:
        fh.write(text)


def main() -> None:
    defs_dir, out_dir = sys.argv[1], sys.argv[2]
    msgs = load_dir(defs_dir)
    out = os.path.join(out_dir, "codec")
    os.makedirs(out, exist_ok=True)
    gens = [Gen(m) for m in msgs]

    # messages.h
    h = ["// Generated by protocol/gen/gen_cpp.py from protocol/messages/*.def. Do not edit.",
         "#pragma once", "", "#include <array>", "#include <cstdint>", "#include <optional>",
         "#include <string>", "#include <string_view>", "#include <vector>", "",
         "#include \"codec/reader.h\"", "#include \"codec/types.h\"", "#include \"codec/writer.h\"",
         "", "namespace fjord::proto {", ""]
    for g in gens:
        h += g.declaration()

    # The API table: one entry per API key, from the request definitions.
    reqs = {m.api_key: m for m in msgs if m.kind == "request"}
    resps = {m.api_key: m for m in msgs if m.kind == "response"}
    for k, m in reqs.items():
        r = resps[k]
        if (m.valid, m.flexible) != (r.valid, r.flexible):
            raise SystemExit(f"API {k}: request and response disagree on versions")
    h += ["// What the codec can encode and decode for each API key. The broker serves a subset,",
          "// declared by each handler (see server/).",
          "struct ApiDescriptor {", "  int16_t key;", "  std::string_view name;",
          "  int16_t min_version;", "  int16_t max_version;",
          "  int16_t flexible_min;  // 0x7fff: never flexible",
          "  int16_t deprecated_max;  // -1: none (KIP-896 marks these old)",
          "  bool latest_unstable;  // the newest version is not final in Kafka yet", "};", "",
          f"inline constexpr std::array<ApiDescriptor, {len(reqs)}> kApis = {{{{"]
    for k in sorted(reqs):
        m = reqs[k]
        dep = m.deprecated.hi if m.deprecated else -1
        name = m.name[:-len("Request")]
        h.append(f"    {{{k}, \"{name}\", {m.valid.lo}, {m.valid.hi}, {m.flex_min()}, {dep}, "
                 f"{'true' if m.unstable else 'false'}}},")
    h += ["}};", "",
          "inline const ApiDescriptor* find_api(int16_t key) {",
          "  for (const auto& a : kApis)", "    if (a.key == key) return &a;",
          "  return nullptr;", "}", "",
          "// Request header version for (key, version): 2 when the API version is flexible, else 1.",
          "inline int16_t request_header_version(int16_t key, int16_t version) {",
          "  const ApiDescriptor* a = find_api(key);",
          "  return a && version >= a->flexible_min ? 2 : 1;", "}", "",
          "// Response header version: 1 when flexible, else 0; ApiVersions always uses 0 so that",
          "// a client can parse it before it knows what the broker supports.",
          "inline int16_t response_header_version(int16_t key, int16_t version) {",
          "  if (key == 18) return 0;",
          "  const ApiDescriptor* a = find_api(key);",
          "  return a && version >= a->flexible_min ? 1 : 0;", "}", "",
          "// Calls f.template operator()<Request, Response>() for API `key`; false if unknown.",
          "template <class F>", "bool visit_api(int16_t key, F&& f) {", "  switch (key) {"]
    for k in sorted(reqs):
        h.append(f"    case {k}: f.template operator()<{reqs[k].name}, {resps[k].name}>(); return true;")
    h += ["    default: return false;", "  }", "}", "",
          "// Calls f.template operator()<M>() for every message type (requests, responses,",
          "// headers and data records).", "template <class F>", "void for_each_message(F&& f) {"]
    for m in msgs:
        h.append(f"  f.template operator()<{m.name}>();")
    h += ["}", "", "}  // namespace fjord::proto", ""]
    write_if_changed(os.path.join(out, "messages.h"), "\n".join(h))

    # One .cc per .def file.
    by_file: dict[str, list[Gen]] = {}
    for g in gens:
        by_file.setdefault(g.m.file, []).append(g)
    cc_names = []
    for fname, gs in by_file.items():
        base = "msg_" + fname[:-4] + ".cc"
        cc_names.append(base)
        body = ["// Generated by protocol/gen/gen_cpp.py. Do not edit.",
                "#include \"codec/messages.h\"", "#include \"codec/tags.h\"", "",
                "namespace fjord::proto {", ""]
        for g in gs:
            body += g.definitions()
        body += ["}  // namespace fjord::proto", ""]
        write_if_changed(os.path.join(out, base), "\n".join(body))

    # Test support.
    fh = ["// Generated by protocol/gen/gen_cpp.py. Do not edit.", "#pragma once", "",
          "#include \"codec/fill_rng.h\"", "#include \"codec/messages.h\"", "",
          "namespace fjord::proto::testing {", ""]
    fc = ["// Generated by protocol/gen/gen_cpp.py. Do not edit.",
          "#include \"codec/messages_fill.h\"", "", "namespace fjord::proto::testing {", ""]
    for g in gens:
        d, c = g.fill_defs()
        fh += d
        fc += c
    fh += ["", "}  // namespace fjord::proto::testing", ""]
    fc += ["}  // namespace fjord::proto::testing", ""]
    write_if_changed(os.path.join(out, "messages_fill.h"), "\n".join(fh))
    write_if_changed(os.path.join(out, "messages_fill.cc"), "\n".join(fc))

    # The list of generated sources, for CMake.
    write_if_changed(os.path.join(out, "sources.txt"), "\n".join(sorted(cc_names)) + "\n")


if __name__ == "__main__":
    main()
