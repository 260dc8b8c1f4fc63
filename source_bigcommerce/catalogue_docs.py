"""The docs' stream, scope and cost tables and the entity diagram, generated from the stream table.

`python -m source_bigcommerce.catalogue_docs` rewrites the generated blocks of README.md and
docs/bigcommerce.md and the diagram docs/streams.svg; `--check` exits 1 when any is stale (a test
runs the same comparison), so the docs cannot drift from the declarations.
"""

from __future__ import annotations

import json
import re
import sys
from html import escape
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from .streams.catalogue import BY_NAME, CATALOGUE
from .streams.declaration import Spec, Unpaged

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = Path(__file__).resolve().parent / "schemas"
# BigCommerce's names for keys that point at another resource: field -> the stream it joins to.
JOINS = {"order_id": "orders", "customer_id": "customers", "product_id": "products", "variant_id": "product_variants",
         "channel_id": "channels", "category_id": "categories", "brand_id": "brands", "price_list_id": "price_lists",
         "zone_id": "shipping_zones", "customer_group_id": "customer_groups", "site_id": "sites", "tree_id": "category_trees",
         "order_address_id": "order_shipping_addresses", "order_product_id": "order_products"}


def _parent_key(spec: Spec) -> str:
    return next((field for field, source in spec.parent_fields.items() if source == "id"), "parent_id")


def endpoint(spec: Spec) -> str:
    if spec.embedded is not None:
        include = "&".join(f"{k}={v}" for k, v in spec.parent_params.items())
        return f"`GET /{BY_NAME[spec.parent].path}?{include}` (embedded)"  # type: ignore[index]
    return f"`GET /{spec.path.replace('{parent_id}', '{' + _parent_key(spec) + '}')}`"


def modes(spec: Spec) -> str:
    return "Full refresh, incremental" if spec.cursor else "Full refresh"


def key(spec: Spec) -> str:
    return ", ".join(f"`{k}`" for k in spec.primary_key)


def requests_needed(spec: Spec) -> str:
    if spec.parent is None:
        if isinstance(spec.paging, Unpaged):
            return "1"
        return "1 per 250 in the window" if spec.cursor else "1 per 250"
    parent = spec.parent
    listing = "1 per 10" if set(spec.parent_params.get("include", "").split(",")) & {"options", "modifiers"} else "1 per 250"
    own = f"{listing} {parent} (its own listing of them)"
    if spec.embedded is not None:
        extra = f"; plus 1 per {parent[:-1]} whose embedded records do not add up" if spec.fallback else ""
        return f"{own}{extra}"
    scope = " in the window" if spec.cursor and not spec.window else ""
    return f"1 per {parent[:-1]}{scope}, plus {own}"


def stream_table() -> str:
    lines = ["| Stream | Endpoint | Sync modes | Cursor | Primary key | Scope | Requests |", "| :--- | :--- | :--- | :--- | :--- | :--- | :--- |"]
    for spec in CATALOGUE:
        cursor = f"`{spec.cursor}`" if spec.cursor else "none"
        lines.append(f"| [{spec.name}]({spec.docs}) | {endpoint(spec)} | {modes(spec)} | {cursor} | {key(spec)} | {spec.scope.label} | "
                     f"{requests_needed(spec)} |")
    return "\n".join(lines)


def scope_table() -> str:
    lines = ["| Scope in the control panel | OAuth scope name | Streams it enables |", "| :--- | :--- | :--- |"]
    by_scope: Dict[str, Tuple[str, List[str]]] = {}
    for spec in CATALOGUE:
        by_scope.setdefault(spec.scope.name, (spec.scope.label, []))[1].append(spec.name)
    for name, (label, streams) in by_scope.items():
        lines.append(f"| {label}: read-only | `{name}` | {', '.join(streams)} |")
    return "\n".join(lines)


def notes_table() -> str:
    lines = ["| Stream | What to know |", "| :--- | :--- |"]
    lines += [f"| {spec.name} | {spec.notes} |" for spec in CATALOGUE if spec.notes]
    return "\n".join(lines)


def joins() -> List[Tuple[str, str, str]]:
    """(stream, field, stream it joins to): parents first, then the key fields its schema declares."""
    found = []
    for spec in CATALOGUE:
        properties = json.loads((SCHEMAS / f"{spec.name}.json").read_text())["properties"]
        targets = {}
        if spec.parent:
            targets[spec.parent] = _parent_key(spec) if spec.parent_fields else "(embedded)"
        for field, target in JOINS.items():
            if field in properties and target in BY_NAME and target != spec.name and target not in targets:
                targets[target] = field
        if spec.name.endswith("_metafields"):
            kind = spec.name[: -len("_metafields")]
            target = next((s.name for s in CATALOGUE if s.name in (f"{kind}s", f"{kind}es", f"product_{kind}s") or
                           (kind == "category" and s.name == "categories")), None)
            if target:
                targets[target] = "resource_id"
        found += [(spec.name, field, target) for target, field in targets.items()]
    return found


GROUPS = (("Customers", ("customer", "subscriber", "wishlist")), ("Orders", ("order", "transaction")),
          ("Catalog", ("product", "brand", "categor", "tree", "price_list", "inventory")),
          ("Store", ("coupon", "promotion", "gift", "banner", "currenc", "tax", "shipping", "store", "channel", "page", "blog",
                     "redirect", "site")))


def _group(name: str) -> int:
    if name.endswith("_metafields"):
        return len(GROUPS)
    return next((i for i, (_, prefixes) in enumerate(GROUPS) if name.startswith(prefixes)), len(GROUPS) - 1)


def entity_svg() -> str:
    """Every stream as a box in its group's column, a line to each stream it joins to."""
    columns: Dict[int, List[str]] = {}
    for spec in CATALOGUE:
        columns.setdefault(_group(spec.name), []).append(spec.name)
    width, height, gap_x, gap_y, top = 190, 22, 70, 10, 40
    where: Dict[str, Tuple[int, int]] = {}
    for column, names in sorted(columns.items()):
        for row, name in enumerate(names):
            where[name] = (20 + column * (width + gap_x), top + row * (height + gap_y))
    total_w = 20 + (max(columns) + 1) * (width + gap_x)
    total_h = top + max(len(n) for n in columns.values()) * (height + gap_y) + 20
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{total_h}" font-family="sans-serif" font-size="11">',
           '<rect width="100%" height="100%" fill="white"/>']
    titles = [g for g, _ in GROUPS] + ["Metafields"]
    for column in sorted(columns):
        out.append(f'<text x="{20 + column * (width + gap_x)}" y="24" font-size="14" font-weight="bold">{titles[column]}</text>')
    for child, field, parent in joins():
        (x1, y1), (x2, y2) = where[child], where[parent]
        colour = "#1f77b4" if BY_NAME[child].parent == parent else "#bbbbbb"
        a = (x1, y1 + height // 2) if x2 < x1 else (x1 + width, y1 + height // 2) if x2 > x1 else (x1, y1 + height // 2)
        b = (x2 + width, y2 + height // 2) if x2 < x1 else (x2, y2 + height // 2) if x2 > x1 else (x2, y2 + height // 2)
        out.append(f'<line x1="{a[0]}" y1="{a[1]}" x2="{b[0]}" y2="{b[1]}" stroke="{colour}" stroke-width="1">'
                   f'<title>{escape(child)}.{escape(field)} → {escape(parent)}</title></line>')
    for name, (x, y) in where.items():
        spec = BY_NAME[name]
        fill = "#e8f1fa" if spec.parent else "#f7f7f7"
        out.append(f'<rect x="{x}" y="{y}" width="{width}" height="{height}" rx="4" fill="{fill}" stroke="#555"/>')
        out.append(f'<text x="{x + 6}" y="{y + 15}">{escape(name)} <tspan fill="#888">({escape(", ".join(spec.primary_key))})</tspan></text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def suggested_streams() -> str:
    return "\n".join(f"      - {spec.name}" for spec in CATALOGUE if spec.suggested)


BLOCKS = {"streams": stream_table, "scopes": scope_table, "stream-notes": notes_table}


def rewritten(text: str) -> str:
    for name, make in BLOCKS.items():
        pattern = re.compile(rf"(<!-- generated:{name} -->\n).*?(\n<!-- /generated:{name} -->)", re.S)
        text = pattern.sub(lambda m: m.group(1) + make() + m.group(2), text)
    pattern = re.compile(r"(# generated:suggested[^\n]*\n    streams:\n).*?(\n    # /generated:suggested)", re.S)
    return pattern.sub(lambda m: m.group(1) + suggested_streams() + m.group(2), text)


def targets() -> Dict[Path, str]:
    wanted = {path: rewritten(path.read_text()) for path in (ROOT / "README.md", ROOT / "docs" / "bigcommerce.md", ROOT / "metadata.yaml")}
    wanted[ROOT / "docs" / "streams.svg"] = entity_svg()
    return wanted


def main(argv: Optional[List[str]] = None) -> int:
    check = "--check" in (argv if argv is not None else sys.argv[1:])
    stale = [path for path, text in targets().items() if not path.exists() or path.read_text() != text]
    if check:
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)} (run python -m source_bigcommerce.catalogue_docs)")
        return 1 if stale else 0
    for path, text in targets().items():
        path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
